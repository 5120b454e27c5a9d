"""Attack: ordinary app settings open identity, or a client forges App Service Authentication's headers.

The app under devhost as App Service runs it (WEBSITE_SITE_NAME set; devhost passing client principal headers
through, as App Service does without Authentication in front), with the settings that used to override the
platform (RUNNING_IN_AZURE=false, EASY_AUTH_ENABLED=true) and the development user's (DEV_USER_ID, DEV_OPS): a
request without headers is no longer the development user with the ops role, and a forged principal is not
trusted — every caller is 401, quickly, while the anonymous health probe keeps answering. With the platform's own
WEBSITE_AUTH_ENABLED=True (EasyAuth in front) the principal is the caller, and still no development user exists.

Every combination of platform variables, headers and DEV_* settings: tests/shared/test_identity.py."""

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

DEV = {"DEV_USER_ID": "dev-user", "DEV_OPS": "1", "DEVHOST_TRUST_PRINCIPAL_HEADERS": "1"}
FORGED = {"X-MS-CLIENT-PRINCIPAL-ID": "mallory", **principal_headers("mallory", "ops")}
ANSWER_SECONDS = 2.0


@pytest.fixture(scope="module")
def azure_without_easy_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    settings = {**DEV, "WEBSITE_SITE_NAME": "contract-jobs", "RUNNING_IN_AZURE": "false", "EASY_AUTH_ENABLED": "true"}
    with running_app(tmp_path_factory.mktemp("no-easyauth"), **settings) as app:
        yield app


@pytest.fixture(scope="module")
def azure_with_easy_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    settings = {**DEV, "WEBSITE_SITE_NAME": "contract-jobs", "WEBSITE_AUTH_ENABLED": "True"}
    with running_app(tmp_path_factory.mktemp("easyauth"), **settings) as app:
        yield app


def timed(client: httpx.Client, method: str, path: str, **kwargs: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    reply = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    return reply, time.monotonic() - started


def test_settings_cannot_open_identity_and_forged_headers_are_refused(azure_without_easy_auth: RunningApp) -> None:
    app = azure_without_easy_auth
    with (
        httpx.Client(base_url=app.base_url, timeout=10) as client,
        Bystander(app.base_url, "/api/jobs/health", user=None) as bystander,
    ):
        attempts = [
            ("GET", "/api/me", {}),  # was dev-user with the ops role
            ("GET", "/api/ops/summary", {}),
            ("GET", "/api/me", FORGED),  # was trusted with EASY_AUTH_ENABLED=true
            ("GET", "/api/ops/summary", FORGED),
            ("GET", "/api/jobs", FORGED),
        ]
        for method, path, headers in attempts:
            reply, seconds = timed(client, method, path, headers=headers)
            assert reply.status_code == 401, (path, headers.keys(), reply.text)
            assert reply.json()["error"]["code"] == "unauthenticated"
            assert "WEBSITE_AUTH_ENABLED" in reply.json()["error"]["message"]
            assert seconds < ANSWER_SECONDS
        reply, _ = timed(client, "POST", "/api/contracts", headers=FORGED, json={"title": "t", "text": "1. A. B."})
        assert reply.status_code == 401
        # Health says the status, and nothing more to an anonymous (or forged) caller.
        assert client.get("/api/jobs/health", headers=FORGED).json() == {"status": "healthy"}
    bystander.assert_responsive()


def test_behind_easy_auth_the_principal_is_the_caller_and_no_development_user_exists(
    azure_with_easy_auth: RunningApp,
) -> None:
    app = azure_with_easy_auth
    with httpx.Client(base_url=app.base_url, timeout=10) as client:
        assert client.get("/api/me").status_code == 401  # DEV_USER_ID is ignored in Azure
        me = client.get("/api/me", headers={"X-MS-CLIENT-PRINCIPAL-ID": "oid-1", **principal_headers("oid-1", "ops")})
        assert me.status_code == 200 and me.json() == {"user_id": "oid-1", "roles": ["ops"]}
        assert client.get("/api/me", headers={"X-MS-CLIENT-PRINCIPAL-ID": "oid-2"}).json()["roles"] == []
