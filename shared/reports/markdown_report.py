"""A result as Markdown, for pasting into an e-mail, a ticket or a wiki: the same content as the Word report.

Every piece of contract or model text is escaped (``escape``): line breaks become spaces, the characters that
make emphasis, code, links, tables or strike-through anywhere in a line are backslash-escaped, ``&``, ``<`` and ``>``
become entities, and what would open a heading, quote, list or rule at the start of a line is escaped there. So a
contract's "# Heading", "[link](…)", "<script>", "| table |" or "1. list" stays text and can never add structure to
the report, while ordinary sentences keep their full stops and brackets unescaped (pasted as is, they read well).
The redline uses the HTML elements Markdown renderers keep: <ins>inserted</ins> and <del>deleted</del>.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from shared.comparison.models import ClauseFinding, ComparisonResult, RedlineRun
from shared.query.models import QueryResult
from shared.reports.content import (
    LEGEND,
    STATUSES,
    ReportContext,
    differences,
    finding_heading,
    high_severity,
    join_titles,
    matched,
    report_date,
    standard_title,
    tally,
)

_INLINE = re.compile(r"([\\`*_\[\]|~])")
# What opens a block at the start of a line: a heading, a list item (bullet or number), a setext underline or rule.
_LINE_START = re.compile(r"^(?:([#+=-])|(\d{1,9})([.)]))")


def escape(text: str) -> str:
    """``text`` as literal Markdown text on one line."""
    flat = " ".join(text.split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = _INLINE.sub(r"\\\1", flat)
    return _LINE_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", flat)


def redline(runs: Iterable[RedlineRun]) -> str:
    out = []
    for part in runs:
        # Runs keep their edges' spaces: a change's leading space stays outside the element so that it renders.
        text = escape(part.text)
        lead = " " if part.text[:1].isspace() and text else ""
        trail = " " if part.text[-1:].isspace() and text else ""
        if part.op == "insert":
            out.append(f"{lead}<ins>{text}</ins>{trail}" if text else "")
        elif part.op == "delete":
            out.append(f"{lead}<del>{text}</del>{trail}" if text else "")
        else:
            out.append(f"{lead}{text}{trail}")
    return "".join(out).strip()


def _header(ctx: ReportContext, kind: str) -> list[str]:
    return [f"# {escape(ctx.title)}", "", f"*{kind} · {report_date(ctx.analysed_at)}*", ""]


def comparison_markdown(result: ComparisonResult, ctx: ReportContext) -> str:
    lines = _header(ctx, "Contract comparison")
    compared = join_titles([escape(c.contract_title) for c in result.comparisons]) or "none"
    lines += [
        f"**Standard contract:** {escape(standard_title(result, ctx.contract_titles))}  ",
        f"**Compared contracts:** {compared}  ",
        f"**Analysed by:** {escape(result.model)} (automated review: check each finding against the contracts)",
        "",
        "## Summary",
        "",
        "| Contract | Matched | Modified | Missing | Added | High severity |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for comparison in result.comparisons:
        counts = tally(comparison)
        cells = [escape(comparison.contract_title), *(str(counts[key]) for key in (*STATUSES, "high"))]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "### High-severity findings", ""]
    high = high_severity(result)
    lines += [
        f"- **{escape(h.contract)} — {escape(h.finding.title)}**: {h.finding.status}. {escape(h.finding.explanation)}"
        for h in high
    ] or ["None."]
    lines += ["", f"*{LEGEND}*", ""]
    for comparison in result.comparisons:
        lines += [f"## {escape(comparison.contract_title)}", ""]
        if comparison.summary:
            lines += [escape(comparison.summary), ""]
        for finding in differences(comparison):
            lines += _finding(finding)
        same = matched(comparison)
        if same:
            names = "; ".join(escape(f.title) for f in same)
            lines += [f"**Unchanged clauses ({len(same)}):** {names}", ""]
    return "\n".join(lines).rstrip() + "\n"


def _finding(finding: ClauseFinding) -> list[str]:
    lines = [f"### {escape(finding_heading(finding))}", ""]
    if finding.status == "modified" and finding.redline:
        lines += [f"> {redline(finding.redline)}", ""]
    elif finding.status == "modified":
        lines += [
            f"**Standard:** {escape(finding.standard_excerpt) or '—'}  ",
            f"**This contract:** {escape(finding.compared_excerpt) or '—'}",
            "",
        ]
    elif finding.status == "missing":
        deleted = RedlineRun(op="delete", text=finding.standard_excerpt or finding.title)
        lines += ["*In the standard, not in this contract:*", "", f"> {redline([deleted])}", ""]
    elif finding.status == "added":
        inserted = RedlineRun(op="insert", text=finding.compared_excerpt or finding.title)
        lines += ["*In this contract, not in the standard:*", "", f"> {redline([inserted])}", ""]
    if finding.explanation:
        lines += [f"**Explanation:** {escape(finding.explanation)}", ""]
    return lines


def query_markdown(result: QueryResult, ctx: ReportContext) -> str:
    titles = {p.contract_id: p.contract_title for p in result.per_contract}
    lines = _header(ctx, "Question and answer")
    lines += ["## Question", "", escape(result.question), "", "## Answer", "", escape(result.answer), ""]
    lines += [f"## Citations ({len(result.citations)})", ""]
    for n, citation in enumerate(result.citations, start=1):
        source = escape(titles.get(citation.contract_id) or ctx.contract(citation.contract_id))
        clause = f", {escape(citation.clause_title)}" if citation.clause_title else ""
        lines += [f"{n}\\. **{source}**{clause}", "", f"> “{escape(citation.quote)}”", ""]
    if not result.citations:
        lines += ["The answer cites no passage.", ""]
    if result.per_contract:
        lines += ["## Answers per contract", ""]
        for answer in result.per_contract:
            note = " *(not relevant)*" if not answer.relevant else ""
            lines += [f"**{escape(answer.contract_title)}**{note}: {escape(answer.answer)}", ""]
    lines += [f"*Analysed by {escape(result.model)} (automated review: check the citations against the contracts)*"]
    return "\n".join(lines).rstrip() + "\n"
