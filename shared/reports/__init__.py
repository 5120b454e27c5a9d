"""Reports a lawyer can send: a stored comparison or query result as a Word document (docx_report.py) or as
Markdown for pasting (markdown_report.py), with the same content (content.py): title, date, the contracts by name,
a comparison's summary and findings with their redlines, a query's question, answer and citations.

``build_report`` reads what a report needs besides the result — the job's title and the names of contracts the
result does not carry — and renders it. GET /api/results/{result_id}/report.docx and report.md (api/results.py)
serve it, ownership-checked like the result itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.comparison.models import ComparisonResult
from shared.comparison.redline import add_redlines
from shared.errors import NotFoundError
from shared.jobs.models import JobType
from shared.jobs.results import AnalysisResult
from shared.jobs.titles import comparison_title, query_title
from shared.query.models import QueryResult
from shared.reports.content import ReportContext, filenames
from shared.reports.docx_report import comparison_docx, query_docx
from shared.reports.markdown_report import comparison_markdown, query_markdown
from shared.storage.base import Repositories

ReportFormat = Literal["docx", "md"]
MEDIA_TYPES: dict[ReportFormat, str] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
}


class ReportNotAvailable(NotFoundError):
    """A result of a kind that has no report (a batch's staging or run: its exports are the report)."""

    code = "report_not_available"


@dataclass(frozen=True)
class Report:
    content: bytes
    media_type: str
    filename: str  # ASCII, for Content-Disposition's filename
    filename_utf8: str  # percent-encoded, for filename*


def build_report(repos: Repositories, stored: AnalysisResult, fmt: ReportFormat) -> Report:
    if stored.job_type is JobType.COMPARISON:
        comparison = add_redlines(ComparisonResult.model_validate(stored.result))
        known = comparison.standard_contract_title
        titles = _titles(repos, stored.user_id, [] if known else [comparison.standard_contract_id])
        compared = [c.contract_title for c in comparison.comparisons]
        fallback = comparison_title(comparison.standard_contract_title or "Standard contract", compared)
        ctx = ReportContext(_job_title(repos, stored, fallback), stored.created_at, titles)
        body = comparison_docx(comparison, ctx) if fmt == "docx" else comparison_markdown(comparison, ctx).encode()
    elif stored.job_type is JobType.QUERY:
        query = QueryResult.model_validate(stored.result)
        named = {p.contract_id for p in query.per_contract}
        unnamed = [c.contract_id for c in query.citations if c.contract_id not in named]
        ctx = ReportContext(
            _job_title(repos, stored, query_title(query.question)),
            stored.created_at,
            _titles(repos, stored.user_id, list(dict.fromkeys(unnamed))),
        )
        body = query_docx(query, ctx) if fmt == "docx" else query_markdown(query, ctx).encode()
    else:
        raise ReportNotAvailable(
            f"result {stored.result_id!r} is a {stored.job_type.value} result, which has no report: a batch's "
            "exports (GET /api/batches/{batch_id}/export.csv) hold its records",
            {"result_id": stored.result_id, "job_type": stored.job_type.value},
        )
    ascii_name, utf8_name = filenames(ctx.title, fmt)
    return Report(body, MEDIA_TYPES[fmt], ascii_name, utf8_name)


def _job_title(repos: Repositories, stored: AnalysisResult, fallback: str) -> str:
    try:
        return repos.jobs.get(stored.user_id, stored.job_id).item.title or fallback
    except NotFoundError:  # the job expired before its result (or was purged): the result's own words
        return fallback


def _titles(repos: Repositories, user_id: str, contract_ids: list[str]) -> dict[str, str]:
    """Titles of contracts the result does not name (a result saved before it kept the standard's title; a cited
    contract without a per-contract answer). A contract deleted since is left out: the report says so in words."""
    titles: dict[str, str] = {}
    for contract_id in contract_ids:
        try:
            titles[contract_id] = repos.contracts.get(user_id, contract_id).title
        except NotFoundError:
            continue
    return titles
