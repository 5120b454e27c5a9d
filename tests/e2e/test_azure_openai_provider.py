"""The `azure_openai` provider end to end: the same job through Azure OpenAI's deployment routes (test server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.app import RunningApp, make_app
from tests.e2e.helpers import (
    NDA_STANDARD,
    NDA_VARIANT_B,
    comparison_for,
    finding,
    principal_headers,
    result_of,
    submit_comparison,
    upload_sample,
    wait_for_job,
)
from tests.support.openai_server import OpenAITestServer

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

USER = "azure-openai-user"
PRIMARY = "contracts-primary"
API_VERSION = "2024-10-21"


@pytest.fixture(scope="module")
def azure_app(
    tmp_path_factory: pytest.TempPathFactory, private_azurite: str, _openai_server_session: OpenAITestServer
) -> Iterator[RunningApp]:
    app = make_app(
        tmp_path_factory.mktemp("azure-openai-app"),
        private_azurite,
        LLM_PROVIDER="azure_openai",
        AZURE_OPENAI_ENDPOINT=_openai_server_session.azure_endpoint,
        AZURE_OPENAI_API_KEY="test-azure-key",
        AZURE_OPENAI_API_VERSION=API_VERSION,
        AZURE_OPENAI_DEPLOYMENT_PRIMARY=PRIMARY,
        AZURE_OPENAI_DEPLOYMENT_SECONDARY="contracts-secondary",
        LLM_TIMEOUT_SECONDS="20",
    ).start()
    yield app
    app.stop()


def test_comparison_job_on_azure_openai_deployment(azure_app: RunningApp, openai_server: OpenAITestServer) -> None:
    with azure_app.client(USER) as client:
        health = client.get("/api/jobs/health", headers=principal_headers(USER, "ops")).json()  # checks: operators
        assert health["checks"]["llm"]["provider"] == "azure_openai" and health["checks"]["llm"]["configured"]
        standard = upload_sample(client, NDA_STANDARD)
        variant = upload_sample(client, NDA_VARIANT_B)
        watch = wait_for_job(client, submit_comparison(client, standard, [variant])["statusQueryGetUri"])
        result = result_of(client, watch)["result"]
    [request] = openai_server.requests
    assert request.deployment == PRIMARY and request.api_version == API_VERSION
    assert request.headers.get("api-key") == "test-azure-key"
    assert request.schema_name == "contract_comparison"
    remedies = finding(comparison_for(result, variant), "Remedies")
    assert remedies["status"] == "missing"
