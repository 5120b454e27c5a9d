"""The job streams through devhost, against the real app and a model that takes its time: what a browser's
EventSource (or `curl -N`) sees while a comparison runs, is cancelled, and after it ended."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.app import RunningApp
from tests.e2e.helpers import NDA_STANDARD, NDA_VARIANT_A, NDA_VARIANT_B, submit_comparison, upload_sample
from tests.support.openai_server import OpenAITestServer
from tests.support.sse import Event, parse_block

pytestmark = pytest.mark.slow

USER = "stream-user"


def read_events(client: httpx.Client, path: str, **headers: str) -> Iterator[Event]:
    with client.stream("GET", path, headers=headers, timeout=httpx.Timeout(60, read=60)) as reply:
        assert reply.status_code == 200, reply.read()
        assert reply.headers["content-type"].startswith("text/event-stream")
        buffer = ""
        for chunk in reply.iter_text():
            buffer += chunk
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                yield parse_block(block)


def updates(events: Iterator[Event], name: str) -> Iterator[Event]:
    return (e for e in events if e.event in (name, "error"))


def test_a_job_stream_follows_a_comparison_to_its_end_and_a_reconnect_then_gets_204(
    openai_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    with openai_app.client(USER) as client:
        standard = upload_sample(client, NDA_STANDARD)
        compared = [
            upload_sample(client, name, title=f"Streamed {i}")
            for i, name in enumerate((NDA_VARIANT_A, NDA_VARIANT_B) * 2)
        ]
        for _ in compared:
            openai_server.slow(0.4)
        job_id = submit_comparison(client, standard, compared)["job_id"]

        seen: list[dict[str, Any]] = [
            e.json | {"_id": e.id} for e in updates(read_events(client, f"/api/jobs/{job_id}/stream"), "job_update")
        ]

        assert all(e.get("error") is None for e in seen), seen
        seqs = [int(e["_id"]) for e in seen]
        assert seqs == sorted(set(seqs)) and seqs == [e["progress"]["seq"] for e in seen]  # ids rise, never repeat
        assert seen[-1]["status"] == "completed" and seen[-1]["progress"]["percentage"] == 100
        messages = [e["progress"]["message"] for e in seen]
        assert any(m.startswith("Comparing contract") for m in messages), messages  # live, not only the end
        assert [e["status"] for e in seen].count("completed") == 1  # the terminal event, once

        again = client.get(f"/api/jobs/{job_id}/stream", headers={"Last-Event-ID": str(seqs[-1])})
        assert again.status_code == 204  # EventSource stops reconnecting


def test_the_user_stream_shows_a_job_from_queued_to_cancelled(
    openai_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    with openai_app.client("stream-canceller") as client:
        standard = upload_sample(client, NDA_STANDARD)
        compared = [upload_sample(client, NDA_VARIANT_A, title=f"Slow {i}") for i in range(3)]
        held = openai_server.hold()
        try:
            events = updates(read_events(client, "/api/jobs/stream"), "jobs_update")
            first = next(events)
            assert first.json["jobs"] == [] and "counts" in first.json
            job_id = submit_comparison(client, standard, compared)["job_id"]
            statuses: list[str] = []
            for event in events:
                assert event.event == "jobs_update", event.data
                (job,) = [j for j in event.json["jobs"] if j["job_id"] == job_id]
                statuses.append(job["status"])
                if job["status"] == "processing" and "cancel" not in statuses:
                    assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 202
                    statuses.append("cancel")
                if job["status"] == "cancelled":
                    assert event.json["counts"]["cancelled"] >= 1
                    break
        finally:
            held.set()
        # A burst of changes is read once (queued turns processing within milliseconds): the first one seen may
        # already be processing; the stream never skips the end.
        assert statuses[0] in ("queued", "processing") and statuses[-1] == "cancelled"


def test_another_users_job_stream_is_an_error_event(offline_app: RunningApp) -> None:
    with offline_app.client("stream-owner") as owner, offline_app.client("stream-intruder") as intruder:
        standard = upload_sample(owner, NDA_STANDARD)
        job_id = submit_comparison(owner, standard, [upload_sample(owner, NDA_VARIANT_B)])["job_id"]
        (error,) = [e for e in read_events(intruder, f"/api/jobs/{job_id}/stream") if e.event == "error"]
        assert error.json["error"]["code"] == "not_found"
        assert "stream-owner" not in json.dumps(error.json)
        assert intruder.get("/api/jobs/user/stream-owner/stream").status_code == 403
