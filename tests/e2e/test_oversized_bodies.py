"""An oversized body gets the app's 413 JSON error over real HTTP, never a reset connection, whatever the client.

The real app under devhost with its default MAX_REQUEST_BYTES (16 MiB): bodies just over it (17 MB) and well over
it (40 MB), from urllib (`Connection: close`), http.client and requests (kept alive, and chunked without a
Content-Length); nothing is stored, and the connection serves the next request.
"""

from __future__ import annotations

import json

import pytest

from shared.settings import Settings
from tests.e2e.app import RunningApp
from tests.e2e.helpers import PRINCIPAL_ID_HEADER
from tests.support.uploads import (
    Reply,
    Step,
    assert_payload_too_large,
    chunked,
    contract_json,
    http_client_conversation,
    requests_conversation,
    urllib_request,
)

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

LIMIT = int(Settings.model_fields["max_request_bytes"].default)
JUST_OVER = 17_000_000
WELL_OVER = 40_000_000
CONTRACTS = "/api/contracts"


def _user(name: str, **extra: str) -> dict[str, str]:
    return {PRINCIPAL_ID_HEADER: name, "Content-Type": "application/json", **extra}


def _titles(reply: Reply) -> list[str]:
    assert reply.status == 200, (reply.status, reply.body[:300])
    return [c["title"] for c in reply.json()["contracts"]]


@pytest.mark.parametrize("size", [JUST_OVER, WELL_OVER])
def test_urllib_gets_the_413_json(offline_app: RunningApp, size: int) -> None:
    url, user = offline_app.base_url + CONTRACTS, _user(f"oversized-urllib-{size}")
    assert LIMIT < JUST_OVER
    reply = urllib_request(url, contract_json(size), user)
    assert_payload_too_large(reply, LIMIT)
    assert _titles(urllib_request(url, None, user)) == []


def test_http_client_gets_the_413_and_its_connection_serves_the_next_request(offline_app: RunningApp) -> None:
    user = _user("oversized-http-client")
    small = json.dumps({"title": "Small", "text": "1. Term. This Agreement lasts one year."}).encode()
    steps = [
        Step("POST", CONTRACTS, contract_json(JUST_OVER), user),
        Step("POST", CONTRACTS, chunked(contract_json(WELL_OVER)), user),
        Step("GET", CONTRACTS, None, user),
        Step("POST", CONTRACTS, small, user),
        Step("GET", CONTRACTS, None, user),
    ]
    replies, same_connection = http_client_conversation(offline_app.base_url, steps)
    for reply in replies[:2]:
        assert_payload_too_large(reply, LIMIT)
    assert _titles(replies[2]) == []
    assert replies[3].status == 201, replies[3].body[:300]
    assert _titles(replies[4]) == ["Small"]
    assert same_connection, "the connection was closed after a 413 on a kept-alive request"


def test_requests_gets_the_413_with_connection_close_and_with_keep_alive(offline_app: RunningApp) -> None:
    user = _user("oversized-requests")
    close = {**user, "Connection": "close"}
    steps = [
        Step("POST", CONTRACTS, contract_json(WELL_OVER), close),
        Step("POST", CONTRACTS, chunked(contract_json(JUST_OVER)), close),
        Step("POST", CONTRACTS, chunked(contract_json(JUST_OVER)), user),
        Step("GET", CONTRACTS, None, user),
    ]
    replies, sockets = requests_conversation(offline_app.base_url, steps)
    for reply in replies[:3]:
        assert_payload_too_large(reply, LIMIT)
    assert _titles(replies[3]) == []
    assert sockets[2] is not None and sockets[3] is sockets[2], "a kept-alive connection was not reused"
