"""Stored analysis results, read by the id a completed job links to (owner-checked: another user's is 404)."""

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response

from api.http import blocking, handle, json_response, path_param
from shared.identity import Caller
from shared.jobs.results import view
from shared.storage.factory import get_repositories

bp = df.Blueprint()


@bp.route(route="results/{result_id}", methods=["GET"])
async def get_result(req: Request) -> Response:
    return await handle(req, _get_result)


async def _get_result(req: Request, caller: Caller) -> Response:
    stored = await blocking(get_repositories().results.get, caller.user_id, path_param(req, "result_id"))
    return json_response(view(stored))
