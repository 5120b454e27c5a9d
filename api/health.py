"""GET /api/jobs/health: anonymous checks of storage and the LLM configuration (no secrets, nobody's data)."""

import logging
from datetime import UTC, datetime
from typing import Literal

import azure.durable_functions as df
import azure.functions as func
from azurefunctions.extensions.http.fastapi import Request, Response
from pydantic import BaseModel

from api.http import blocking, handle_anonymous, json_response
from shared.analysis.factory import describe_llm_config
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


class HealthReport(BaseModel):
    """Body of GET /api/jobs/health: 200 when healthy, 503 when not."""

    status: Literal["healthy", "unhealthy"]
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
    body = HealthReport(
        status="healthy" if healthy else "unhealthy",
        timestamp=datetime.now(UTC),
        checks=HealthChecks(storage=storage, llm=llm),
    )
    return json_response(body, 200 if healthy else 503)
