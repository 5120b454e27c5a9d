from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from shared.llm.retry import BackoffPolicy, is_retryable_status, server_retry_after

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()


def test_retry_after_as_http_date() -> None:
    later = format_datetime(datetime(2025, 1, 1, 12, 0, 7, tzinfo=UTC), usegmt=True)
    assert server_retry_after({"retry-after": later}, now=lambda: NOW) == 7.0
    earlier = format_datetime(datetime(2025, 1, 1, 11, 0, 0, tzinfo=UTC), usegmt=True)
    assert server_retry_after({"Retry-After": earlier}, now=lambda: NOW) == 0.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after-ms": "120"}, 0.12),
        ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),  # a broken hint falls through to the next
        ({"retry-after": "-1"}, None),
        ({"retry-after": "whenever"}, None),
    ],
)
def test_server_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert server_retry_after(headers) == expected


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = BackoffPolicy(base_seconds=1.0, max_backoff_seconds=8.0, jitter=0.25)
    assert [policy.delay(n, None, rand=lambda: 0.0) for n in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert policy.delay(2, {}, rand=lambda: 1.0) == 3.0
    assert policy.delay(0, {"retry-after": "5"}, rand=lambda: 1.0) == 5.0  # the server's hint is not jittered


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (503, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (422, False),
    ],
)
def test_retryable_statuses(status: int, retry: bool) -> None:
    assert is_retryable_status(status) is retry
