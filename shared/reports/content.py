"""What a report says, whatever its format: its title and date, the contracts by name, and a comparison's findings
in the order a lawyer reads them (highest severity first, matched clauses last)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from shared.comparison.models import ClauseFinding, ComparisonResult, ContractComparison

SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}
STATUS_RANK = {"missing": 3, "modified": 2, "added": 1, "matched": 0}
STATUSES = ("matched", "modified", "missing", "added")
STATUS_LABELS = {"matched": "Matched", "modified": "Modified", "missing": "Missing", "added": "Added"}
LEGEND = "Insertions in the compared contract are underlined; the standard's deleted words are struck through."

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
MAX_FILENAME_CHARS = 80


@dataclass(frozen=True)
class ReportContext:
    """Who and when: the job's title, when the result was made, the contracts' titles by id (ids never show)."""

    title: str
    analysed_at: datetime
    contract_titles: Mapping[str, str] = field(default_factory=dict)

    def contract(self, contract_id: str, fallback: str = "a contract no longer in the library") -> str:
        return self.contract_titles.get(contract_id) or fallback


def report_date(moment: datetime) -> str:
    """ "7 December 2025, 14:05 UTC": unambiguous in every country a report is forwarded to."""
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def differences(comparison: ContractComparison) -> list[ClauseFinding]:
    """The findings that are not matches, highest severity first (then missing, modified, added; then as found)."""
    found = [(i, f) for i, f in enumerate(comparison.clauses) if f.status != "matched"]
    found.sort(key=lambda p: (-SEVERITY_RANK.get(p[1].severity or "", 0), -STATUS_RANK[p[1].status], p[0]))
    return [f for _, f in found]


def matched(comparison: ContractComparison) -> list[ClauseFinding]:
    return [f for f in comparison.clauses if f.status == "matched"]


def tally(comparison: ContractComparison) -> Counter[str]:
    counts: Counter[str] = Counter(str(f.status) for f in comparison.clauses)
    counts["high"] = sum(1 for f in comparison.clauses if f.severity == "high")
    return counts


@dataclass(frozen=True)
class HighSeverity:
    contract: str
    finding: ClauseFinding


def high_severity(result: ComparisonResult) -> list[HighSeverity]:
    return [
        HighSeverity(c.contract_title, f) for c in result.comparisons for f in differences(c) if f.severity == "high"
    ]


def finding_heading(finding: ClauseFinding) -> str:
    """ "Governing Law — Modified, high severity"."""
    status = STATUS_LABELS.get(finding.status, finding.status)
    severity = f", {finding.severity} severity" if finding.severity else ""
    return f"{finding.title} — {status}{severity}"


def standard_title(result: ComparisonResult, titles: Mapping[str, str]) -> str:
    return result.standard_contract_title or titles.get(result.standard_contract_id) or "the standard contract"


def filenames(title: str, extension: str) -> tuple[str, str]:
    """The report's file name for a Content-Disposition header: an ASCII-only `filename` (letters, digits, . _ -)
    and the readable UTF-8 name, percent-encoded for `filename*` (RFC 6266)."""
    readable = " ".join(_UNSAFE_NAME.sub(" ", title).split())[:MAX_FILENAME_CHARS].strip(" .") or "Report"
    ascii_name = unicodedata.normalize("NFKD", readable).encode("ascii", "ignore").decode()
    ascii_name = _UNSAFE_ASCII.sub("-", ascii_name).strip("-._") or "report"
    return f"{ascii_name}-report.{extension}", quote(f"{readable} - report.{extension}", safe="")


def join_titles(names: Sequence[str]) -> str:
    return ", ".join(names)
