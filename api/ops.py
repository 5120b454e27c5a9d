"""The operator's view: GET /api/ops/summary (app role `ops`) and GET /api/me (the caller's roles, so the page
knows whether to show its Operations tab).

The summary is the whole app's (shared/ops/summary.py): counts across users, model-call figures of every worker,
the scheduler's queue, the oldest running job and recent failures; no contract text, and users only as hashes.
Without the role the answer is 403 in the error shape. Before reading, this worker writes its own pending
model-call figures (the others write theirs every few seconds: shared/ops/usage_ledger.py).
"""

from __future__ import annotations

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response

from api.http import blocking, handle, json_response
from shared.identity import Caller
from shared.jobs.models import utcnow
from shared.ops.models import Me, OpsSummary
from shared.ops.summary import build_summary
from shared.ops.usage_ledger import process_ledger
from shared.roles import OPS_ROLE, caller_roles, require_role
from shared.settings import get_settings
from shared.storage.factory import get_repositories

bp = df.Blueprint()


def _summary() -> OpsSummary:
    ledger = process_ledger()
    if ledger is not None:
        ledger.flush()
    return build_summary(get_repositories(), get_settings(), utcnow())


@bp.route(route="ops/summary", methods=["GET"])
async def ops_summary(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        require_role(caller_roles(req.headers, caller, get_settings()), OPS_ROLE)
        summary = await blocking(_summary)
        # An operator's figures of the moment: never served from a cache.
        return json_response(summary, headers={"Cache-Control": "no-store"})

    return await handle(req, impl)


@bp.route(route="me", methods=["GET"])
async def get_me(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        roles = caller_roles(req.headers, caller, get_settings())
        return json_response(Me(user_id=caller.user_id, roles=sorted(roles)), headers={"Cache-Control": "no-store"})

    return await handle(req, impl)
