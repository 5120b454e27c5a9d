"""GET /api/jobs/health: checks of storage and the LLM configuration (no secrets, nobody's data).

Anyone may ask (App Service Authentication leaves this path open for probes), but only the status is anyone's:
which store, provider, endpoint, deployments and auth mode the app uses is for operators — callers with the app
role `ops` get the checks, everyone else `{"status"}` alone (200 healthy, 503 unhealthy either way).
"""

import logging
from datetime import UTC, datetime
from typing import Literal

import azure.durable_functions as df
import azure.functions as func
from azurefunctions.extensions.http.fastapi import Request, Response
from pydantic import BaseModel

from api.http import blocking, handle_anonymous, json_response
from shared.analysis.factory import describe_llm_config
from shared.identity import AuthenticationRequired, resolve_caller
from shared.roles import OPS_ROLE, caller_roles
from shared.settings import get_settings
from shared.storage.factory import get_repositories

logger = logging.getLogger(__name__)

bp = df.Blueprint()


class StorageOk(BaseModel):
    ok: Literal[True] = True
    backend: str  # sqlite | cosmos


class StorageFailed(BaseModel):
    ok: Literal[False] = False
    error: str  # the exception type only: messages can carry endpoints or keys


class LlmCheck(BaseModel):
    """shared/analysis/factory.describe_llm_config: provider, models, whether it is usable; never a secret."""

    provider: str
    configured: bool
    missing: list[str]
    models: dict[str, str]
    context_tokens: dict[str, int] | None = None
    endpoint: str | None = None  # azure_openai
    api_version: str | None = None  # azure_openai
    auth: Literal["api_key", "managed_identity"] | None = None  # azure_openai
    base_url: str | None = None  # openai


class HealthChecks(BaseModel):
    storage: StorageOk | StorageFailed
    llm: LlmCheck


class HealthStatus(BaseModel):
    """Body of GET /api/jobs/health for anyone without the app role `ops`: 200 when healthy, 503 when not."""

    status: Literal["healthy", "unhealthy"]


class HealthReport(HealthStatus):
    """Body of GET /api/jobs/health for callers with the app role `ops`: the status and what it rests on."""

    timestamp: datetime
    checks: HealthChecks


@bp.route(route="jobs/health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def jobs_health(req: Request) -> Response:
    return await handle_anonymous(req, _health)


def _storage_check() -> StorageOk:
    repos = get_repositories()
    # A partition-scoped count on a user id no one has: exercises the store without reading anyone's data.
    repos.jobs.counts("__health__")
    return StorageOk(backend=repos.backend)


def may_see_checks(req: Request) -> bool:
    """An operator: a caller (signed in, or the development user on a local host) with the app role `ops`."""
    try:
        caller = resolve_caller(req.headers)
    except AuthenticationRequired:
        return False
    return OPS_ROLE in caller_roles(req.headers, caller, get_settings())


async def _health(req: Request) -> Response:
    settings = get_settings()
    storage: StorageOk | StorageFailed
    try:
        storage = await blocking(_storage_check)
    except Exception as exc:
        logger.exception("health: storage check failed")
        # The exception type only: messages can carry endpoints or keys.
        storage = StorageFailed(error=type(exc).__name__)
    llm = LlmCheck.model_validate(describe_llm_config(settings))
    healthy = storage.ok and llm.configured
    status: Literal["healthy", "unhealthy"] = "healthy" if healthy else "unhealthy"
    if not may_see_checks(req):
        return json_response(HealthStatus(status=status), 200 if healthy else 503)
    body = HealthReport(status=status, timestamp=datetime.now(UTC), checks=HealthChecks(storage=storage, llm=llm))
    # Who may see it depends on the caller: no shared cache may keep an operator's answer for anyone else.
    return json_response(body, 200 if healthy else 503, {"Cache-Control": "no-store"})
