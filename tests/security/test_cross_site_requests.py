"""Attack: a page on another site makes the user's browser send requests to the app (CSRF).

The app as run locally (devhost, DEV_USER_ID: no cookie is even needed, every request is the development user).
What another site's page can send without a CORS preflight — text/plain JSON, a form, a bodiless POST or DELETE —
and what a browser marks as cross-site is refused before it reaches an endpoint: 415 for a body not declared JSON,
403 for `Sec-Fetch-Site: cross-site` (or a foreign `Origin` from a browser without fetch metadata). Nothing is
created, nothing is deleted, every refusal is quick, and another request keeps being answered meanwhile. The same
requests from the app's own page (same-origin JSON) still work.

Every mutating route, one by one: tests/api/test_request_origin.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.app import RunningApp
from tests.security.devhost_apps import running_app
from tests.support.bystander import Bystander

pytestmark = pytest.mark.slow

TEXT = "1. Governing Law. This Agreement is governed by the laws of Delaware.\n\n2. Term. Two years.\n"
CONTRACT = json.dumps({"title": "Planted", "text": TEXT})
ANSWER_SECONDS = 2.0


@pytest.fixture(scope="module")
def local_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    # As local.settings.json has it: client principal headers stripped, DEV_USER_ID for every caller.
    settings = {"DEV_USER_ID": "dev-user", "DEVHOST_TRUST_PRINCIPAL_HEADERS": ""}
    with running_app(tmp_path_factory.mktemp("csrf"), **settings) as app:
        yield app


def everything(client: httpx.Client) -> dict[str, object]:
    return {
        "contracts": client.get("/api/contracts").json()["contracts"],
        "jobs": client.get("/api/jobs").json()["jobs"],
        "batches": client.get("/api/batches").json()["batches"],
        "folders": client.get("/api/folders").json()["folders"],
    }


def test_what_another_sites_page_can_send_is_refused_and_changes_nothing(local_app: RunningApp) -> None:
    with (
        httpx.Client(base_url=local_app.base_url, timeout=10) as client,
        Bystander(local_app.base_url, user=None) as bystander,
    ):
        kept = client.post("/api/contracts", json={"title": "Mine", "text": TEXT})
        assert kept.status_code == 201
        kept_id = kept.json()["contract_id"]
        before = everything(client)
        job = json.dumps({"request": {"standardContractId": kept_id, "compareContractIds": [kept_id]}})
        attacks: list[tuple[str, str, dict[str, str], str | None, int, str]] = [
            # A "simple" cross-origin request: no preflight, so the browser sends it; its body is JSON all the same.
            ("POST", "/api/contracts", {"Content-Type": "text/plain"}, CONTRACT, 415, "unsupported_media_type"),
            (
                "POST",
                "/api/jobs/comparison",
                {"Content-Type": "text/plain;charset=UTF-8"},
                job,
                415,
                "unsupported_media_type",
            ),
            (
                "POST",
                "/api/batches",
                {"Content-Type": "application/x-www-form-urlencoded"},
                "name=x&folders=y",
                415,
                "unsupported_media_type",
            ),
            # What a browser marks as coming from another site's page, whatever its body.
            (
                "POST",
                "/api/contracts",
                {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
                CONTRACT,
                403,
                "cross_site_request",
            ),
            ("DELETE", f"/api/contracts/{kept_id}", {"Sec-Fetch-Site": "cross-site"}, None, 403, "cross_site_request"),
            ("POST", "/api/jobs/x/cancel", {"Sec-Fetch-Site": "cross-site"}, None, 403, "cross_site_request"),
            (
                "POST",
                "/api/contracts",
                {"Content-Type": "application/json", "Origin": "https://evil.example"},
                CONTRACT,
                403,
                "cross_site_request",
            ),
        ]
        for method, path, headers, body, status, code in attacks:
            started = time.monotonic()
            reply = client.request(method, path, headers=headers, content=body)
            assert (reply.status_code, reply.json()["error"]["code"]) == (status, code), (method, path, reply.text)
            assert time.monotonic() - started < ANSWER_SECONDS
        assert everything(client) == before  # nothing created, nothing deleted

        # The app's own page: same-origin JSON, and bodiless actions without a content type.
        own = {"Sec-Fetch-Site": "same-origin", "Origin": local_app.base_url}
        created = client.post("/api/contracts", json={"title": "Own", "text": TEXT}, headers=own)
        assert created.status_code == 201
        assert client.delete(f"/api/contracts/{created.json()['contract_id']}", headers=own).status_code == 204
    bystander.assert_responsive()
