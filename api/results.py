"""Stored analysis results, read by the id a completed job links to (owner-checked: another user's is 404), and the
reports a lawyer sends: the result as a Word document or as Markdown (shared/reports/)."""

import logging
from typing import Any

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response
from pydantic import ValidationError

from api.http import blocking, handle, json_response, path_param
from shared.comparison.models import ComparisonResult
from shared.comparison.redline import add_redlines
from shared.identity import Caller
from shared.jobs.models import JobType
from shared.jobs.results import AnalysisResult, ResultView, view
from shared.reports import ReportFormat, build_report
from shared.storage.factory import get_repositories

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.route(route="results/{result_id}", methods=["GET"])
async def get_result(req: Request) -> Response:
    return await handle(req, _get_result)


@bp.route(route="results/{result_id}/report.docx", methods=["GET"])
async def get_result_report_docx(req: Request) -> Response:
    return await handle(req, lambda r, caller: _report(r, caller, "docx"))


@bp.route(route="results/{result_id}/report.md", methods=["GET"])
async def get_result_report_markdown(req: Request) -> Response:
    return await handle(req, lambda r, caller: _report(r, caller, "md"))


async def _get_result(req: Request, caller: Caller) -> Response:
    stored = await blocking(get_repositories().results.get, caller.user_id, path_param(req, "result_id"))
    return json_response(with_redlines(view(stored)))


def with_redlines(result: ResultView) -> ResultView:
    """A comparison saved before findings carried redlines gets them now (computed on read, not stored back): every
    reader sees modified findings with a redline, whenever the result was made."""
    if result.job_type is not JobType.COMPARISON:
        return result
    try:
        parsed = ComparisonResult.model_validate(result.result)
    except ValidationError:  # a shape this version does not know: shown as stored
        log.warning("result %s: not a comparison this version can read; served as stored", result.result_id)
        return result
    completed = add_redlines(parsed)
    if completed is parsed:
        return result
    body: dict[str, Any] = completed.model_dump(mode="json")
    return result.model_copy(update={"result": body})


async def _report(req: Request, caller: Caller, fmt: ReportFormat) -> Response:
    repos = get_repositories()
    stored: AnalysisResult = await blocking(repos.results.get, caller.user_id, path_param(req, "result_id"))
    report = await blocking(build_report, repos, stored, fmt)
    disposition = f"attachment; filename=\"{report.filename}\"; filename*=UTF-8''{report.filename_utf8}"
    return Response(
        content=report.content,
        media_type=report.media_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
