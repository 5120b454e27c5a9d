"""Two signed-in users on one app: neither can see or touch the other's contracts, jobs or results."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.e2e.app import RunningApp
from tests.e2e.helpers import (
    NDA_STANDARD,
    NDA_VARIANT_A,
    get_json,
    submit_comparison,
    upload_sample,
    wait_for_job,
)

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

ALICE = "isolation-alice"
BOB = "isolation-bob"


@pytest.fixture(scope="module")
def alices(offline_app: RunningApp) -> dict[str, Any]:
    """Alice's contracts, a completed job with its result, and a second job she cancels later (or not)."""
    with offline_app.client(ALICE) as alice:
        standard = upload_sample(alice, NDA_STANDARD)
        variant = upload_sample(alice, NDA_VARIANT_A)
        submitted = submit_comparison(alice, standard, [variant])
        watch = wait_for_job(alice, submitted["statusQueryGetUri"])
        assert watch.final["status"] == "completed", watch.final
        return {
            "standard": standard,
            "variant": variant,
            "job_id": submitted["job_id"],
            "result_id": watch.final["output"]["result_id"],
        }


def test_other_user_gets_404_for_everything_of_alice(offline_app: RunningApp, alices: dict[str, Any]) -> None:
    job_id, result_id, standard = alices["job_id"], alices["result_id"], alices["standard"]
    with offline_app.client(BOB) as bob:
        for method, url in [
            ("GET", f"/api/jobs/{job_id}"),
            ("GET", f"/api/jobs/{job_id}/status"),
            ("POST", f"/api/jobs/{job_id}/cancel"),
            ("POST", f"/api/jobs/{job_id}/retry"),
            ("GET", f"/api/results/{result_id}"),
            ("GET", f"/api/contracts/{standard}"),
            ("DELETE", f"/api/contracts/{standard}"),
        ]:
            reply = bob.request(method, url)
            assert reply.status_code == 404, f"{method} {url} as another user: {reply.status_code} {reply.text}"
            assert reply.json()["error"]["code"], reply.text
        # Nothing of Alice's shows up in Bob's lists.
        assert alices["standard"] not in str(get_json(bob, "/api/contracts"))
        bobs_jobs = get_json(bob, "/api/jobs")
        assert job_id not in str(bobs_jobs["jobs"])
        # Using Alice's contract ids in a job of his own is refused before any job exists.
        reply = bob.post(
            "/api/jobs/comparison",
            json={"request": {"standardContractId": standard, "compareContractIds": [alices["variant"]]}},
        )
        assert reply.status_code in (400, 404, 422), reply.text
        assert get_json(bob, "/api/jobs")["jobs"] == bobs_jobs["jobs"]

    # Bob's attempts changed nothing: Alice still has her contract, job and result.
    with offline_app.client(ALICE) as alice:
        assert get_json(alice, f"/api/contracts/{standard}")["contract_id"] == standard
        assert get_json(alice, f"/api/jobs/{job_id}")["status"] == "completed"
        assert get_json(alice, f"/api/results/{result_id}")["result_id"] == result_id
        assert job_id in str(get_json(alice, f"/api/jobs/user/{ALICE}")["jobs"])


def test_listing_another_users_jobs_by_path_is_forbidden(offline_app: RunningApp, alices: dict[str, Any]) -> None:
    with offline_app.client(BOB) as bob:
        reply = bob.get(f"/api/jobs/user/{ALICE}")
    assert reply.status_code == 403, reply.text
    assert alices["job_id"] not in reply.text


def test_no_principal_is_401(offline_app: RunningApp, alices: dict[str, Any]) -> None:
    with offline_app.client(None) as anonymous:
        for method, url in [
            ("GET", "/api/contracts"),
            ("POST", "/api/contracts"),
            ("GET", "/api/jobs"),
            ("GET", f"/api/jobs/{alices['job_id']}/status"),
            ("GET", f"/api/results/{alices['result_id']}"),
            ("POST", "/api/jobs/comparison"),
            ("POST", "/api/compare-contracts"),
        ]:
            reply = anonymous.request(method, url, json={} if method == "POST" else None)
            assert reply.status_code == 401, f"{method} {url} without a principal: {reply.status_code} {reply.text}"
        # The health probe is the one anonymous endpoint.
        assert anonymous.get("/api/jobs/health").status_code == 200


def test_principal_claims_header_identifies_the_same_user(offline_app: RunningApp, alices: dict[str, Any]) -> None:
    """EasyAuth's full principal (base64 JSON claims) names the same user as the principal-id header."""
    claims = {
        "auth_typ": "aad",
        "claims": [{"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": ALICE}],
    }
    encoded = base64.b64encode(json.dumps(claims).encode()).decode()
    with offline_app.client(None) as client:
        reply = client.get(f"/api/jobs/{alices['job_id']}", headers={"X-MS-CLIENT-PRINCIPAL": encoded})
        assert reply.status_code == 200, reply.text
        assert reply.json()["user_id"] == ALICE
        garbage = client.get("/api/jobs", headers={"X-MS-CLIENT-PRINCIPAL": "not base64 json"})
        assert garbage.status_code == 401, garbage.text
