"""GET /api/jobs/health: the status for anyone, the checks (store, provider, endpoint, deployments, auth mode) only
for callers with the app role `ops`; never a secret."""

from __future__ import annotations

import base64
import json
from typing import Any

from shared.hosting import Hosting
from tests.api.conftest import Api

OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
ENDPOINT = "https://contracts-aoai.openai.azure.com/"


def principal(user_id: str, *roles: str) -> dict[str, str]:
    claims = [{"typ": OID, "val": user_id}, *({"typ": "roles", "val": role} for role in roles)]
    body = {"auth_typ": "aad", "claims": claims, "name_typ": "name", "role_typ": "roles"}
    return {"x-ms-client-principal": base64.b64encode(json.dumps(body).encode()).decode()}


async def test_anonymous_callers_get_the_status_only(api: Api, configure: Any, host_in: Any) -> None:
    host_in(Hosting.azure(easy_auth=True))
    configure(llm_provider="azure_openai", azure_openai_endpoint=ENDPOINT, azure_openai_deployment_primary="gpt4o-prod")
    reply = await api.call("GET", "/api/jobs/health", user=None)
    assert (reply.status, reply.json) == (200, {"status": "healthy"})
    for hidden in ("contracts-aoai", "gpt4o-prod", "sqlite", "managed_identity", "azure_openai"):
        assert hidden not in reply.body.decode()


async def test_signed_in_callers_without_the_role_get_the_status_only(api: Api, host_in: Any) -> None:
    host_in(Hosting.azure(easy_auth=True))
    for headers in ({"x-ms-client-principal-id": "alice"}, principal("alice", "reader")):
        reply = await api.call("GET", "/api/jobs/health", user=None, headers=headers)
        assert (reply.status, reply.json) == (200, {"status": "healthy"})


async def test_operators_get_the_checks_and_no_secret(api: Api, configure: Any, host_in: Any) -> None:
    host_in(Hosting.azure(easy_auth=True))
    configure(llm_provider="azure_openai", azure_openai_endpoint=ENDPOINT, azure_openai_deployment_primary="gpt4o-prod")
    reply = await api.call("GET", "/api/jobs/health", user=None, headers=principal("oid-1", "ops"))
    assert reply.status == 200 and reply.json["status"] == "healthy"
    assert reply.json["checks"]["storage"] == {"ok": True, "backend": "sqlite"}
    assert reply.json["checks"]["llm"]["endpoint"] == ENDPOINT
    assert reply.headers["cache-control"] == "no-store"

    configure(llm_provider="azure_openai", azure_openai_api_key="sk-very-secret", azure_openai_endpoint=None)
    reply = await api.call("GET", "/api/jobs/health", user=None, headers=principal("oid-1", "ops"))
    assert reply.status == 503
    assert reply.json["checks"]["llm"]["configured"] is False
    assert "sk-very-secret" not in reply.body.decode()


async def test_unhealthy_is_503_for_anyone_without_saying_why(api: Api, configure: Any) -> None:
    configure(llm_provider="azure_openai", azure_openai_endpoint=None)
    reply = await api.call("GET", "/api/jobs/health", user=None)
    assert (reply.status, reply.json) == (503, {"status": "unhealthy"})


async def test_the_local_development_operator_gets_the_checks(api: Api, configure: Any) -> None:
    configure(dev_user_id="dev", dev_ops=True)  # the sample settings: run.sh's caller sees what it runs on
    reply = await api.call("GET", "/api/jobs/health", user=None)
    assert reply.json["checks"]["llm"]["provider"] == "offline"
    configure(dev_user_id="dev", dev_ops=False)
    assert (await api.call("GET", "/api/jobs/health", user=None)).json == {"status": "healthy"}


async def test_a_broken_principal_is_an_anonymous_caller_not_an_error(api: Api, host_in: Any) -> None:
    host_in(Hosting.azure(easy_auth=False))  # every caller refused: the probe still answers
    reply = await api.call("GET", "/api/jobs/health", user=None, headers=principal("oid-1", "ops"))
    assert (reply.status, reply.json) == (200, {"status": "healthy"})
    reply = await api.call("GET", "/api/jobs/health", user=None, headers={"x-ms-client-principal": "%%%"})
    assert (reply.status, reply.json) == (200, {"status": "healthy"})
