"""The fault proxy against a small upstream of its own: it forwards and records, and each fault does what it says
(an answer of its own, a reset mid-response, an answer never delivered, refused and blackholed connections, TLS
terminated with a rewrite)."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.fault_proxy import FaultProxy, _self_signed_context


class _Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        body = f'{{"path": "{self.path}", "endpoint": "upstream-{self.server.server_address[1]}"}}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        data = self.rfile.read(length)
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for piece in (data[:3], data[3:]):
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args: object) -> None:
        pass


def _serve(tls_folder: Path | None = None) -> tuple[http.server.ThreadingHTTPServer, int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    if tls_folder is not None:
        server.socket = _self_signed_context(tls_folder).wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def upstream() -> Iterator[int]:
    server, port = _serve()
    yield port
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream: int) -> Iterator[FaultProxy]:
    with FaultProxy(upstream, keep_bodies=lambda r: r.method == "POST") as running:
        yield running


def test_forwards_keeps_alive_and_records(proxy: FaultProxy) -> None:
    with httpx.Client(base_url=proxy.url) as client:
        assert client.get("/a").json()["path"] == "/a"
        echoed = client.post("/b", content=b"hello world")
        assert echoed.content == b"hello world"  # a chunked answer passed on as it came
    first, second = proxy.snapshot()
    assert (first.method, first.path, first.status, first.delivered, first.fault) == ("GET", "/a", 200, True, None)
    assert second.body == b"hello world" and first.body is None


def test_an_answer_of_its_own_never_reaches_the_upstream(proxy: FaultProxy) -> None:
    _Upstream.hits = 0
    proxy.answer(
        1.0, 429, {"x-ms-retry-after-ms": "50"}, b'{"code": "TooManyRequests"}', match=lambda r: r.path == "/x"
    )
    with httpx.Client(base_url=proxy.url) as client:
        throttled = client.get("/x")
        assert throttled.status_code == 429 and throttled.headers["x-ms-retry-after-ms"] == "50"
        assert client.get("/y").status_code == 200  # not matched
        proxy.clear()
        assert client.get("/x").status_code == 200
    assert _Upstream.hits == 2
    assert [e.fault for e in proxy.snapshot()] == ["answer:429", None, None]


def test_a_reset_cuts_the_answer_off_after_the_upstream_did_the_work(proxy: FaultProxy) -> None:
    proxy.reset(1.0)
    with httpx.Client(base_url=proxy.url) as client, pytest.raises(httpx.TransportError):
        client.get("/reset-me")
    (exchange,) = proxy.snapshot()
    assert exchange.status == 200 and exchange.answered_upstream and not exchange.delivered


def test_a_held_answer_makes_the_client_time_out(proxy: FaultProxy) -> None:
    proxy.hold(1.0)
    with httpx.Client(base_url=proxy.url, timeout=0.5) as client, pytest.raises(httpx.ReadTimeout):
        client.get("/held")
    time.sleep(0.2)
    (exchange,) = proxy.snapshot()
    assert exchange.fault == "hold" and exchange.status == 200 and not exchange.delivered


def test_latency_delays_each_request(proxy: FaultProxy) -> None:
    proxy.latency(0.3, jitter=0.1)
    with httpx.Client(base_url=proxy.url) as client:
        started = time.monotonic()
        assert client.get("/slow").status_code == 200
    assert 0.2 <= time.monotonic() - started < 2.0


def test_unreachable_refuses_connections_until_reachable_again(proxy: FaultProxy) -> None:
    with httpx.Client(base_url=proxy.url) as client:
        assert client.get("/before").status_code == 200
        proxy.unreachable()
        with pytest.raises(httpx.TransportError):
            client.get("/during")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", proxy.port), timeout=1).close()
        proxy.reachable()
        assert client.get("/after").status_code == 200


def test_a_blackhole_accepts_and_never_answers(proxy: FaultProxy) -> None:
    proxy.blackhole()
    try:
        with httpx.Client(base_url=proxy.url, timeout=0.5) as client, pytest.raises(httpx.ReadTimeout):
            client.get("/void")
    finally:
        proxy.end_blackhole()
    with httpx.Client(base_url=proxy.url) as client:
        assert client.get("/back").status_code == 200


def test_an_upstream_that_is_down_resets_the_client(upstream: int) -> None:
    with FaultProxy(upstream) as proxy:
        server_gone = socket.socket()
        server_gone.bind(("127.0.0.1", 0))
        proxy.upstream = ("127.0.0.1", server_gone.getsockname()[1])  # nothing listens there
        server_gone.close()
        with httpx.Client(base_url=proxy.url) as client, pytest.raises(httpx.TransportError):
            client.get("/nobody")
        assert proxy.snapshot()[0].fault == "refused"


def test_tls_is_terminated_and_answers_can_be_rewritten(tmp_path: Path) -> None:
    server, port = _serve(tmp_path)
    try:
        with FaultProxy(port, tls=True) as proxy:
            proxy.rewrite(f"upstream-{port}".encode(), b"the-proxy", match=lambda r: r.path == "/")
            proxy.answer(1.0, 503, match=lambda r: r.path == "/down")
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            with httpx.Client(base_url=proxy.url, verify=context) as client:
                assert client.get("/").json()["endpoint"] == "the-proxy"
                assert client.get("/other").json()["endpoint"] == f"upstream-{port}"
                assert client.get("/down").status_code == 503
    finally:
        server.shutdown()
        server.server_close()
