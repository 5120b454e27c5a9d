"""The OpenAPI description of the operator's endpoints, api/ops.py (the others: api/openapi_operations.py)."""

from __future__ import annotations

from api.openapi_dsl import Operation, json_reply
from shared.ops.models import Me, OpsSummary

OPERATOR: tuple[Operation, ...] = (
    Operation(
        "ops_summary",
        "GET",
        "/ops/summary",
        "Operations",
        "The whole app's last hour and day: jobs, model calls, tokens, cost, 429s, queue, failures",
        (json_reply(200, OpsSummary, "Counts and figures across users; users only as hashes, no contract text."),),
        errors=(403,),
        error_notes={
            403: "The caller lacks the app role `ops` (`role_required`): an Entra ID app role in the App Service "
            "Authentication principal's claims, or locally DEV_OPS=true for the DEV_USER_ID caller."
        },
        description="Jobs by status and type (created in the window), model calls, tokens and estimated cost per "
        "deployment (LLM_PRICE_PER_1K_* settings), the 429 share, the quota scheduler's queue now, the oldest "
        "running job and the last day's failed jobs with their reasons.",
    ),
    Operation(
        "get_me",
        "GET",
        "/me",
        "Operations",
        "The caller's user id and the app roles this app knows they have",
        (json_reply(200, Me, "The caller."),),
    ),
)
