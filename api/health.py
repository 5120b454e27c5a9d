"""GET /api/jobs/health: anonymous checks of storage and the LLM configuration (no secrets, nobody's data)."""

import logging
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from azurefunctions.extensions.http.fastapi import Request, Response

from api.http import blocking, handle_anonymous, json_response
from shared.analysis.factory import describe_llm_config
from shared.settings import get_settings
from shared.storage.factory import get_repositories

logger = logging.getLogger(__name__)

bp = df.Blueprint()


@bp.route(route="jobs/health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def jobs_health(req: Request) -> Response:
    return await handle_anonymous(req, _health)


def _storage_check() -> dict[str, Any]:
    repos = get_repositories()
    # A partition-scoped count on a user id no one has: exercises the store without reading anyone's data.
    repos.jobs.counts("__health__")
    return {"ok": True, "backend": repos.backend}


async def _health(req: Request) -> Response:
    settings = get_settings()
    try:
        storage = await blocking(_storage_check)
    except Exception as exc:
        logger.exception("health: storage check failed")
        # The exception type only: messages can carry endpoints or keys.
        storage = {"ok": False, "error": type(exc).__name__}
    llm = describe_llm_config(settings)
    healthy = bool(storage["ok"]) and bool(llm.get("configured"))
    body = {
        "status": "healthy" if healthy else "unhealthy",
        "timestamp": datetime.now(UTC).isoformat(),
        "checks": {"storage": storage, "llm": llm},
    }
    return json_response(body, 200 if healthy else 503)
