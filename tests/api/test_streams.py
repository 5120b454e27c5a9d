"""The job streams at the HTTP level: event names, ids and order, change-only updates, heartbeats and keep-alive
comments, resuming with Last-Event-ID (204 after the terminal event), the stream's own end, and ownership.

Progress is written the way activities write it (through the job service); the streams read the job document.
Short stream settings keep the suite fast; nothing here asserts how long anything took."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.jobs.models import JobProgress, JobStatus, JobType, ProcessingStep
from shared.jobs.service import JobService, job_service
from shared.query.request import QueryJobRequest
from shared.settings import Settings
from shared.storage.base import Repositories
from tests.api.conftest import Api
from tests.support.sse import Event, events

WAIT = 10.0  # seconds a test waits for an event before it fails (never an assertion on timing)
REQUEST = QueryJobRequest(question="Which law governs?", contract_ids=["c1"])


@pytest.fixture
def fast(configure: Any) -> Settings:
    settings: Settings = configure(
        stream_heartbeat_seconds=0.3,
        stream_keepalive_seconds=0.1,
        stream_poll_seconds=0.05,
        stream_idle_poll_seconds=0.05,
        stream_max_seconds=30,
        stream_retry_ms=1500,
    )
    return settings


def progress(percentage: int, message: str, step: ProcessingStep = ProcessingStep.CALLING_LLM) -> JobProgress:
    return JobProgress(current_step=step, percentage=percentage, message=message)


def started(user: str = "alice") -> tuple[JobService, str]:
    service = job_service()
    job = service.create_job(user, JobType.QUERY, REQUEST)
    service.update_status(user, job.job_id, JobStatus.PROCESSING, progress=progress(10, "Reading"))
    return service, job.job_id


class Stream:
    def __init__(self, body: AsyncIterator[bytes]) -> None:
        self._events = events(body)

    async def next(self, *, skip: tuple[str, ...] = ("heartbeat",)) -> Event:
        """The next event that is not a heartbeat (or a bare keep-alive comment)."""
        while True:
            event = await asyncio.wait_for(anext(self._events), WAIT)
            if event.comments and not event.data and event.retry is None:
                continue
            if event.event in skip and event.retry is None:
                continue
            return event

    async def rest(self) -> list[Event]:
        """Every event until the server ends the stream."""
        collected: list[Event] = []
        try:
            while True:
                collected.append(await asyncio.wait_for(anext(self._events), WAIT))
        except StopAsyncIteration:
            return collected


async def open_job_stream(api: Api, job_id: str, **kwargs: Any) -> Stream:
    status, headers, body = await api.open_stream(f"/api/jobs/{job_id}/stream", **kwargs)
    assert status == 200 and body is not None
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["cache-control"] == "no-cache"
    return Stream(body)


async def test_job_stream_sends_the_job_then_each_change_with_its_seq_and_ends_after_the_terminal_one(
    api: Api, fast: Settings
) -> None:
    service, job_id = started()
    stream = await open_job_stream(api, job_id)

    assert (await stream.next()).retry == 1500  # the stream starts by telling EventSource how long to wait
    first = await stream.next()
    assert (first.event, first.json["job_id"], first.json["status"]) == ("job_update", job_id, "processing")
    assert first.id == str(first.json["progress"]["seq"])
    assert first.json["progress"]["message"] == "Reading"

    service.update_progress("alice", job_id, progress(60, "Comparing contract 2 of 3"))
    second = await stream.next()
    assert second.json["progress"]["message"] == "Comparing contract 2 of 3"
    assert int(second.id or 0) == int(first.id or 0) + 1

    service.update_progress("alice", job_id, progress(60, "Comparing contract 2 of 3"))  # shows nothing new
    service.update_status("alice", job_id, JobStatus.COMPLETED, result_id="res_1")
    final = await stream.next()
    assert (final.json["status"], final.json["result_id"]) == ("completed", "res_1")
    assert int(final.id or 0) == int(second.id or 0) + 1  # the repeated report made no event and no seq
    assert [e for e in await stream.rest() if e.event == "job_update"] == []  # ended after the terminal event


async def test_heartbeats_carry_no_id_and_comments_keep_the_line_busy(api: Api, fast: Settings) -> None:
    _, job_id = started()
    stream = await open_job_stream(api, job_id)
    await stream.next()
    update = await stream.next()
    heartbeat = await stream.next(skip=())
    assert heartbeat.event == "heartbeat" and heartbeat.id is None  # Last-Event-ID stays the job_update's
    assert "timestamp" in heartbeat.json
    assert update.event == "job_update"
    status, _, body = await api.open_stream(f"/api/jobs/{job_id}/stream")
    assert status == 200 and body is not None
    comments = []
    async for event in events(body):
        comments += event.comments
        if comments:
            break
    assert comments == ["keep-alive"]


async def test_a_reconnect_with_last_event_id_gets_only_what_is_newer(api: Api, fast: Settings) -> None:
    service, job_id = started()
    seq = service.get_job("alice", job_id).progress.seq
    stream = await open_job_stream(api, job_id, headers={"Last-Event-ID": str(seq)})
    assert (await stream.next()).retry is not None
    service.update_progress("alice", job_id, progress(70, "Comparing contract 3 of 3"))
    event = await stream.next()
    # The state the client already had (seq) was not sent again: the first job_update is the newer one.
    assert (event.id, event.json["progress"]["message"]) == (str(seq + 1), "Comparing contract 3 of 3")


async def test_a_reconnect_after_the_terminal_event_is_204_and_before_it_gets_the_terminal_event(
    api: Api, fast: Settings
) -> None:
    service, job_id = started()
    done = service.update_status("alice", job_id, JobStatus.FAILED, error_details={"message": "boom"})
    seq = done.progress.seq

    status, _, body = await api.open_stream(f"/api/jobs/{job_id}/stream", headers={"Last-Event-ID": str(seq)})
    assert (status, body) == (204, None)

    stream = await open_job_stream(api, job_id, headers={"Last-Event-ID": str(seq - 1)})
    await stream.next()
    terminal = await stream.next()
    assert (terminal.id, terminal.json["status"]) == (str(seq), "failed")
    assert await stream.rest() == []


async def test_the_stream_ends_itself_before_the_azure_limit_and_the_client_resumes(api: Api, configure: Any) -> None:
    configure(
        stream_max_seconds=0.4, stream_heartbeat_seconds=10, stream_keepalive_seconds=10, stream_poll_seconds=0.05
    )
    service, job_id = started()
    stream = await open_job_stream(api, job_id)
    await stream.next()
    update = await stream.next()
    rest = await stream.rest()  # ends without the job ending
    assert [e.event for e in rest if e.data] == []
    assert service.get_job("alice", job_id).status is JobStatus.PROCESSING
    resumed = await open_job_stream(api, job_id, headers={"Last-Event-ID": update.id or ""})
    await resumed.next()
    service.update_progress("alice", job_id, progress(80, "Checking"))
    assert (await resumed.next()).json["progress"]["message"] == "Checking"


async def test_another_users_job_and_an_unknown_job_get_the_same_error_event(api: Api, fast: Settings) -> None:
    _, job_id = started(user="bob")
    foreign = await (await open_job_stream(api, job_id)).rest()
    unknown = await (await open_job_stream(api, "job_nope")).rest()

    def error_of(stream_events: list[Event]) -> dict[str, Any]:
        (error,) = [e for e in stream_events if e.event == "error"]
        assert [e.event for e in stream_events if e.data and e.event != "error"] == []
        return dict(error.json["error"])

    foreign_error, unknown_error = error_of(foreign), error_of(unknown)
    assert foreign_error["code"] == unknown_error["code"] == "not_found"
    assert foreign_error["message"].replace(job_id, "X") == unknown_error["message"].replace("job_nope", "X")
    assert "bob" not in str(foreign_error) and "processing" not in str(foreign_error)


async def test_a_job_cancelled_while_streamed_ends_the_stream_cancelled(api: Api, fast: Settings) -> None:
    _, job_id = started()
    stream = await open_job_stream(api, job_id)
    await stream.next()
    await stream.next()
    reply = await api.call("POST", f"/api/jobs/{job_id}/cancel")
    assert reply.status == 202
    event = await stream.next()
    assert (event.json["status"], event.json["progress"]["message"]) == ("cancelled", "Cancelled")
    assert await stream.rest() == []


async def test_a_change_written_by_another_process_arrives_by_the_poll(
    api: Api, fast: Settings, repos: Repositories
) -> None:
    _, job_id = started()
    stream = await open_job_stream(api, job_id)
    await stream.next()
    first = await stream.next()
    # Written straight to the store, as another worker instance would: no change reaches this process's hub.
    current = repos.jobs.get("alice", job_id)
    moved = current.item.progress.model_copy(update={"message": "Elsewhere", "seq": current.item.progress.seq + 1})
    repos.jobs.replace(current.item.model_copy(update={"progress": moved}), current.etag)
    event = await stream.next()
    assert (event.json["progress"]["message"], int(event.id or 0)) == ("Elsewhere", int(first.id or 0) + 1)


# --- the caller's jobs -----------------------------------------------------------------------------------


async def open_user_stream(api: Api, path: str = "/api/jobs/stream", **kwargs: Any) -> Stream:
    status, headers, body = await api.open_stream(path, **kwargs)
    assert status == 200 and body is not None, status
    assert headers["content-type"].startswith("text/event-stream")
    stream = Stream(body)
    assert (await stream.next()).retry is not None
    return stream


async def test_user_stream_lists_active_jobs_then_sends_every_change_with_counts(api: Api, fast: Settings) -> None:
    service, running = started()
    done = service.create_job("alice", JobType.QUERY, REQUEST)
    service.cancel("alice", done.job_id)  # ended before the stream opened: not listed
    started(user="bob")  # someone else's: never listed, never counted

    stream = await open_user_stream(api)
    first = await stream.next()
    assert first.event == "jobs_update"
    assert [j["job_id"] for j in first.json["jobs"]] == [running]
    assert first.json["counts"] == {"queued": 0, "processing": 1, "completed": 0, "failed": 0, "cancelled": 1}

    new = service.create_job("alice", JobType.QUERY, REQUEST)
    second = await stream.next()
    assert {j["job_id"] for j in second.json["jobs"]} == {running, new.job_id}
    assert (second.id or "") > (first.id or "")  # the cursor orders the caller's changes

    service.update_status("alice", running, JobStatus.COMPLETED, result_id="res")
    third = await stream.next()
    finished = {j["job_id"]: j["status"] for j in third.json["jobs"]}
    assert finished == {running: "completed", new.job_id: "queued"}  # ended since the stream opened: still listed
    assert third.json["counts"]["completed"] == 1


async def test_user_stream_resumes_with_only_what_is_newer(api: Api, fast: Settings) -> None:
    service, job_id = started()
    stream = await open_user_stream(api)
    first = await stream.next()
    service.update_progress("alice", job_id, progress(60, "Half way"))
    cursor = (await stream.next()).id or ""

    resumed = await open_user_stream(api, headers={"Last-Event-ID": cursor})
    service.update_progress("alice", job_id, progress(70, "Later"))
    event = await resumed.next()
    # Nothing was re-sent on reconnect: the first event after it carries the newer change.
    assert [j["progress"]["message"] for j in event.json["jobs"]] == ["Later"]
    assert first.id is not None and (event.id or "") > cursor


async def test_user_stream_status_filter(api: Api, fast: Settings) -> None:
    service, job_id = started()
    queued = service.create_job("alice", JobType.QUERY, REQUEST)
    stream = await open_user_stream(api, query="status=queued")
    first = await stream.next()
    assert [j["job_id"] for j in first.json["jobs"]] == [queued.job_id]
    service.update_status("alice", queued.job_id, JobStatus.PROCESSING)
    second = await stream.next()
    assert second.json["jobs"] == []  # left the filter
    assert job_id not in str(second.json["jobs"])


async def test_the_seed_user_path_streams_the_caller_and_refuses_another_user(api: Api, fast: Settings) -> None:
    _, job_id = started()
    stream = await open_user_stream(api, "/api/jobs/user/alice/stream")
    assert [j["job_id"] for j in (await stream.next()).json["jobs"]] == [job_id]

    status, _, body = await api.open_stream("/api/jobs/user/bob/stream")
    assert (status, body) == (403, None)
    status, _, _ = await api.open_stream("/api/jobs/stream", user=None)
    assert status == 401


async def test_a_bad_status_filter_is_a_400(api: Api, fast: Settings) -> None:
    status, _, body = await api.open_stream("/api/jobs/stream", query="status=done")
    assert (status, body) == (400, None)
