"""Attack: reconnaissance through the anonymous health probe. `/api/jobs/health` is open to anyone (App Service
Authentication leaves it open for probes) and used to name the model endpoint, the deployments, the provider, the
store and the auth mode.

Under devhost as App Service runs it with EasyAuth in front (WEBSITE_SITE_NAME, WEBSITE_AUTH_ENABLED=True) and an
Azure OpenAI configuration: anonymous callers, and signed-in callers without the app role `ops`, get the status
alone, quickly, again and again; an operator (`ops`) gets the checks, and never the key."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.app import RunningApp
from tests.e2e.helpers import principal_headers
from tests.security.devhost_apps import running_app
from tests.support.bystander import Bystander

pytestmark = pytest.mark.slow

ENDPOINT = "https://contracts-aoai.openai.azure.com/"
SECRET = "sk-health-probe-secret"
CONFIGURATION = ("contracts-aoai", "gpt4o-prod", "azure_openai", "api_key", "sqlite", "2024-10-21", SECRET)
ANSWER_SECONDS = 2.0


@pytest.fixture(scope="module")
def azure_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    settings = {
        "WEBSITE_SITE_NAME": "contract-jobs",
        "WEBSITE_AUTH_ENABLED": "True",
        "LLM_PROVIDER": "azure_openai",
        "AZURE_OPENAI_ENDPOINT": ENDPOINT,
        "AZURE_OPENAI_DEPLOYMENT_PRIMARY": "gpt4o-prod",
        "AZURE_OPENAI_API_KEY": SECRET,
    }
    with running_app(tmp_path_factory.mktemp("health"), **settings) as app:
        yield app


def test_anyone_gets_the_status_and_only_operators_get_the_checks(azure_app: RunningApp) -> None:
    with (
        httpx.Client(base_url=azure_app.base_url, timeout=10) as client,
        Bystander(azure_app.base_url, "/api/jobs/health", user=None) as bystander,
    ):
        callers = [{}, {"X-MS-CLIENT-PRINCIPAL-ID": "oid-1"}, principal_headers("oid-2", "reader")]
        for headers in callers * 5:  # a probe that asks again and again learns nothing more
            started = time.monotonic()
            reply = client.get("/api/jobs/health", headers=headers)
            assert time.monotonic() - started < ANSWER_SECONDS
            assert (reply.status_code, reply.json()) == (200, {"status": "healthy"}), headers
            assert not [text for text in CONFIGURATION if text in reply.text]

        operator = client.get("/api/jobs/health", headers=principal_headers("oid-3", "ops"))
        assert operator.status_code == 200 and operator.headers["cache-control"] == "no-store"
        checks = operator.json()["checks"]
        assert checks["llm"]["endpoint"] == ENDPOINT and checks["llm"]["models"]["primary"] == "gpt4o-prod"
        assert SECRET not in operator.text
    bystander.assert_responsive()
