"""Where the job monitor's updates come from, in a real browser: the user stream first, polling as a fallback.

The app's stream endpoints do not exist yet, so the page runs here against a small stand-in for the API that serves
the real page (api/ui.py's files) and a stream the test controls. It checks the page's side of the streams contract:
a refused stream makes the page poll `GET /api/jobs`; once the stream answers, the page switches to it and stops
polling; `jobs_update` events move the progress bar; the server's `error` event is shown; a stream the server
closes is resumed by the browser with `Last-Event-ID`.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from api.ui import INDEX, AssetNotFound, load_asset
from tests.e2e.helpers import wait_until
from tests.support import browser
from tests.support.browser import PageSession, expect

pytestmark = [pytest.mark.slow]

# The browser fixtures (Chromium through Playwright; see tests/support/browser.py).
playwright_driver = browser.playwright_driver
open_page = browser.open_page

STREAM_RETRY_MS = 30_000  # web/jobs-feed.js: how often a refused stream is tried again while polling
CLOSE = None  # pushed to the open streams: the server ends them (as it does before Azure's 230 s limit)


def job(percentage: int, status: str = "processing", message: str = "Comparing contract 1 of 2") -> dict[str, Any]:
    return {
        "job_id": "job_feed_1",
        "job_type": "comparison",
        "status": status,
        "priority": 5,
        "request": {"standardContractId": "c_std", "compareContractIds": ["c_a", "c_b"], "comparisonMode": "full"},
        "progress": {
            "current_step": "calling_llm",
            "percentage": percentage,
            "message": message,
            "items_done": 0,
            "items_total": 2,
            # Progress only moves forward in time: a stale read must lose against a newer event.
            "updated_at": f"2026-01-05T10:{percentage // 60:02d}:{percentage % 60:02d}Z",
            "seq": percentage,
        },
        "created_at": "2026-01-05T09:59:00Z",
        "result_id": None,
        "error_details": None,
        "retry_of": None,
    }


@dataclass
class FakeApi:
    """The page's files and just enough of the API: an empty library, a job list, and a stream the test drives."""

    stream_enabled: bool = False
    jobs: list[dict[str, Any]] = field(default_factory=lambda: [job(20)])
    polls: int = 0
    stream_requests: list[str | None] = field(default_factory=list)  # the Last-Event-ID of each stream request
    _streams: list[asyncio.Queue[str | None]] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/ui", self.page),
                Route("/api/ui/{path:path}", self.page),
                Route("/api/contracts", self.contracts),
                Route("/api/me", self.me),
                Route("/api/jobs", self.job_list),
                Route("/api/jobs/stream", self.stream),
            ]
        )

    async def page(self, request: Request) -> Response:
        try:
            asset = load_asset(request.path_params.get("path") or INDEX)
        except AssetNotFound:
            return JSONResponse({"error": {"code": "not_found", "message": "no such file"}}, status_code=404)
        return Response(asset.body, media_type=asset.content_type)

    async def contracts(self, request: Request) -> Response:
        return JSONResponse({"contracts": [], "continuation": None})

    async def me(self, request: Request) -> Response:  # no app role: the page shows no Operations tab
        return JSONResponse({"user_id": "dev-user", "roles": []})

    async def job_list(self, request: Request) -> Response:
        self.polls += 1
        return JSONResponse({"jobs": self.jobs, "counts": {"queued": 0, "processing": 1}, "continuation": None})

    async def stream(self, request: Request) -> Response:
        self.stream_requests.append(request.headers.get("last-event-id"))
        if not self.stream_enabled:
            body = {"error": {"code": "not_found", "message": "job 'stream' not found", "details": None}}
            return JSONResponse(body, status_code=404)
        self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._streams.append(queue)

        async def events() -> AsyncIterator[str]:
            yield "retry: 300\n\n"
            try:
                while (event := await queue.get()) is not None:
                    yield event
            finally:
                self._streams.remove(queue)

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    def push(self, event: str | None) -> None:
        """Send to every open stream (from the test's thread)."""
        assert self._loop is not None and self._streams, "no stream is open"
        for queue in list(self._streams):
            self._loop.call_soon_threadsafe(queue.put_nowait, event)

    @property
    def open_streams(self) -> int:
        return len(self._streams)


def sse(event: str, data: Any, event_id: int) -> str:
    return f"id: {event_id}\nevent: {event}\ndata: {json.dumps(data)}\n\n"


@pytest.fixture
def fake_api() -> Iterator[tuple[FakeApi, str]]:
    fake = FakeApi()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(fake.app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "fake API did not start"
        time.sleep(0.01)
    yield fake, f"http://127.0.0.1:{sock.getsockname()[1]}"
    if fake._loop is not None and fake.open_streams:
        fake.push(CLOSE)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_polls_without_the_stream_then_switches_to_it_and_resumes_it(open_page, fake_api) -> None:
    fake, base_url = fake_api
    session: PageSession = open_page(base_url)
    session.allow_failed_load(r"/api/jobs/stream")  # the stand-in has no stream at first, on purpose
    page = session.page
    page.clock.install()  # the stream retry and the polling timers, on the test's command
    page.goto("/api/ui")
    state = page.locator("#feed-state")
    card = page.get_by_role("complementary", name="Job monitor").get_by_role("listitem")
    bar = card.get_by_role("progressbar")

    # No stream (a 404 JSON answer): the page polls the job list, and says so.
    expect(state).to_have_text("Updating every 2 s")
    expect(bar).to_have_attribute("aria-valuenow", "20")
    fake.jobs = [job(40)]
    page.clock.fast_forward(2_000)
    expect(bar).to_have_attribute("aria-valuenow", "40")
    assert fake.stream_requests == [None]

    # The stream starts working: at the next retry the page takes it and stops polling.
    fake.stream_enabled = True
    page.clock.fast_forward(STREAM_RETRY_MS)
    expect(state).to_have_text("Live")
    assert len(fake.stream_requests) == 2
    fake.push(sse("jobs_update", {"jobs": [job(60)], "counts": {"processing": 1}}, 7))
    expect(bar).to_have_attribute("aria-valuenow", "60")
    expect(card).to_contain_text("Comparing contract 1 of 2")
    fake.push(sse("heartbeat", {}, 8))

    polls = fake.polls
    fake.jobs = [job(95)]  # what polling would see: the page must not show it
    page.clock.fast_forward(10_000)
    fake.push(sse("jobs_update", {"jobs": [job(80, message="Comparing contract 2 of 2")]}, 9))
    expect(card).to_contain_text("Comparing contract 2 of 2")
    expect(bar).to_have_attribute("aria-valuenow", "80")
    assert fake.polls == polls, "the page kept polling with the stream open"

    # The server's own error event is shown with its message.
    error = {"error": {"code": "stream_failed", "message": "the job store is unavailable", "details": None}}
    fake.push(f"id: 10\nevent: error\ndata: {json.dumps(error)}\n\n")
    expect(page.locator("#monitor-error")).to_contain_text("the job store is unavailable")

    # The server closes the stream (its time limit): the browser reconnects by itself with Last-Event-ID.
    fake.push(CLOSE)
    page.clock.fast_forward(1_000)
    expect(state).to_have_text("Live")
    wait_until(lambda: len(fake.stream_requests) >= 3, timeout=30, what="the browser's reconnect")
    assert fake.stream_requests[2] == "10", fake.stream_requests
    fake.push(sse("jobs_update", {"jobs": [job(100, status="completed", message="Done")]}, 11))
    expect(card).to_have_attribute("data-status", "completed")
    expect(page.locator("#active-badge")).to_have_text("0")
    session.assert_no_js_errors()
