"""The bystander of tests/security/ notices an app that stops answering while an attack runs, and passes one that
keeps answering: against a tiny server whose every request waits while a "frozen" flag is up (a worker whose GIL is
held), or not."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.responsiveness import Bystander, Stopwatch

FROZEN = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        while FROZEN.is_set():
            time.sleep(0.01)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    FROZEN.clear()
    httpd.shutdown()


def test_an_app_that_freezes_during_the_attack_fails_the_check(server: str) -> None:
    with Bystander(server) as bystander, Stopwatch() as attack:
        FROZEN.set()
        time.sleep(2.0)
        FROZEN.clear()
    with pytest.raises(AssertionError, match=r"slowest (1\.[6-9]|2\.)"):
        bystander.assert_kept_answering(attack, within=1.5)


def test_an_app_that_keeps_answering_passes_and_the_overlap_is_real(server: str) -> None:
    with Bystander(server) as bystander, Stopwatch() as attack:
        time.sleep(1.0)
    bystander.assert_kept_answering(attack, within=1.5)
    assert len(bystander.during(attack)) >= 5
