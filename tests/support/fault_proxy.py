"""A fault-injecting proxy for tests: it sits between the app and one server it talks to (the Cosmos-compatible
server, Azurite's blob or queue endpoint, the OpenAI test server) and breaks things on command.

Plain asyncio, in a thread of the test process, on a free 127.0.0.1 port. Two ways to forward:

- HTTP (the default): it reads each HTTP/1.1 request and response (Content-Length, chunked, or read-to-close;
  keep-alive, one upstream connection per client connection), so it can answer a request itself, cut a response
  off mid-body, sit on an answer, and record every exchange (method, path, the upstream's status, whether the
  answer reached the client, the request body when asked to keep it).
- TLS: the Cosmos-compatible server speaks HTTPS with a self-signed certificate. With `tls=True` the proxy
  terminates TLS with its own self-signed certificate (made here with `cryptography`; the app already runs with
  COSMOS_VERIFY_TLS=false against the test server) and opens TLS to the upstream without verifying it, so HTTP-level
  faults work on Cosmos too. A `rewrite` replaces bytes in matching responses: the Cosmos account document names its
  own endpoint, which the SDK would otherwise route to, around the proxy.
- raw TCP (`http=False`): bytes both ways, for connection-level faults only.

Faults, each switchable at run time from the test thread (every method is thread-safe):

    proxy.answer(0.1, 429, {"x-ms-retry-after-ms": "50"}, body)   # a share of requests answered by the proxy
    proxy.reset(0.1)                      # a share of responses cut off mid-body (TCP RST)
    proxy.hold(0.05)                      # a share of answers never delivered: the client times out
    proxy.latency(0.2, jitter=0.1)        # every request delayed 0.1-0.3 s
    proxy.clear()                         # no request-level fault (connection-level state is kept)
    proxy.unreachable(); proxy.reachable()   # listener closed (connection refused), open connections reset
    proxy.blackhole(); proxy.end_blackhole() # connections accepted, nothing forwarded; held ones reset at the end
    proxy.reset_connections()             # every open connection reset now

Each request-level fault takes `match` (a predicate over the Request: method, path, headers, body) to aim it, e.g.
at chat completions only. Shares are drawn from a seeded random.Random, so a run is repeatable.

When the upstream refuses (stopped, restarting), the proxy resets the client's connection: what a client behind a
load balancer sees of a server that went away.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import random
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_HEAD_BYTES = 256 * 1024
RESET_AFTER_FRACTION = 0.5  # a reset response gets its head and about half its body, then the RST


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names (the last value of a repeated header)
    body: bytes


@dataclass
class Exchange:
    """One request as the proxy handled it."""

    method: str
    path: str
    started: float  # time.monotonic()
    fault: str | None = None  # "answer:429", "reset", "hold", "latency", "refused" (upstream down), ...
    status: int | None = None  # the upstream's status (None: the upstream never answered), or the proxy's own
    delivered: bool = False  # the answer's last byte was written to the client
    body: bytes | None = None  # the request body, when the proxy was asked to keep it
    reply: bytes | None = None  # the upstream's answer body, kept with the request body
    finished: float | None = None

    @property
    def answered_upstream(self) -> bool:
        """The upstream handled it (its answer may still have been lost on the way back)."""
        return self.status is not None and not (self.fault or "").startswith("answer")


@dataclass
class _Rule:
    kind: str  # answer | reset | hold | latency
    share: float
    match: Callable[[Request], bool] | None
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    latency: float = 0.0
    jitter: float = 0.0

    def applies(self, request: Request, draw: float) -> bool:
        return (self.match is None or self.match(request)) and draw < self.share


@dataclass
class _Message:
    head: bytes  # start line and headers, as received
    start: str
    headers: dict[str, str]
    body: bytes  # decoded (chunked bodies joined)
    raw_body: bytes  # as received


class _Closed(Exception):
    """The other side closed the connection before a whole message (`partial`: after some of it)."""

    def __init__(self, partial: bool = False) -> None:
        super().__init__("closed")
        self.partial = partial


class FaultProxy:
    def __init__(
        self,
        upstream_port: int,
        *,
        name: str = "proxy",
        upstream_host: str = "127.0.0.1",
        http: bool = True,
        tls: bool = False,
        keep_bodies: Callable[[Request], bool] | None = None,
        seed: int = 0,
    ) -> None:
        self.name = name
        self.upstream = (upstream_host, upstream_port)
        self.http = http
        self.tls = tls
        self._keep_bodies = keep_bodies
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._rewrites: list[tuple[Callable[[Request], bool], bytes, bytes]] = []
        self.exchanges: list[Exchange] = []
        self.connections_reset = 0
        self._open: set[asyncio.StreamWriter] = set()
        self._blackholed = False
        self._blackhole_over: asyncio.Event | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"fault-proxy-{name}", daemon=True)
        self._server: asyncio.Server | None = None
        self._certs: tempfile.TemporaryDirectory[str] | None = None
        self._server_ssl: ssl.SSLContext | None = None
        self._client_ssl: ssl.SSLContext | None = None
        if tls:
            self._certs = tempfile.TemporaryDirectory(prefix="fault-proxy-")
            self._server_ssl = _self_signed_context(Path(self._certs.name))
            self._client_ssl = ssl.create_default_context()
            self._client_ssl.check_hostname = False
            self._client_ssl.verify_mode = ssl.CERT_NONE
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port: int = sock.getsockname()[1]
        sock.close()

    # --- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        if self._certs is not None:
            self._certs.cleanup()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    # --- faults (called from the test thread) ------------------------------------------------------------------

    def answer(
        self,
        share: float,
        status: int,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        *,
        match: Callable[[Request], bool] | None = None,
    ) -> None:
        """Answer `share` of the matching requests with `status` (never forwarded: the upstream never sees them)."""
        self._add(_Rule("answer", share, match, status=status, headers=dict(headers or {}), body=body))

    def reset(self, share: float, *, match: Callable[[Request], bool] | None = None) -> None:
        """Forward, then cut `share` of the answers off mid-body with a TCP reset (the upstream did the work)."""
        self._add(_Rule("reset", share, match))

    def hold(self, share: float, *, match: Callable[[Request], bool] | None = None) -> None:
        """Forward, then never deliver `share` of the answers: the client waits until it gives up."""
        self._add(_Rule("hold", share, match))

    def latency(self, seconds: float, *, jitter: float = 0.0, match: Callable[[Request], bool] | None = None) -> None:
        """Delay every matching request by `seconds` ± `jitter` (uniform) before forwarding it."""
        self._add(_Rule("latency", 1.0, match, latency=seconds, jitter=jitter))

    def rewrite(self, old: bytes, new: bytes, *, match: Callable[[Request], bool]) -> None:
        """Replace `old` with `new` in the bodies of the answers to matching requests (a fix-up, not a fault)."""
        with self._lock:
            self._rewrites.append((match, old, new))

    def clear(self) -> None:
        """No request-level faults from now on (requests already held stay held)."""
        with self._lock:
            self._rules.clear()

    def unreachable(self) -> None:
        """Stop listening (new connections are refused) and reset every open connection."""
        self._call(self._close_listener())
        self.reset_connections()

    def reachable(self) -> None:
        self._call(self._listen())

    def blackhole(self) -> None:
        """Accept connections but forward nothing, either way, until `end_blackhole`."""
        self._call(self._start_blackhole())

    def end_blackhole(self) -> None:
        """Forward again; the connections held meanwhile are reset (their clients gave up or will)."""
        self._call(self._end_blackhole())

    def reset_connections(self) -> None:
        self._call(self._reset_all())

    # --- figures -----------------------------------------------------------------------------------------------

    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges)

    # --- internals ---------------------------------------------------------------------------------------------

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    async def _listen(self) -> None:
        if self._server is not None:
            return
        for _ in range(50):  # the port was ours a moment ago; a client's TIME_WAIT does not block a listener
            try:
                self._server = await asyncio.start_server(
                    self._serve, "127.0.0.1", self.port, ssl=self._server_ssl, reuse_address=True
                )
                return
            except OSError:
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name}: cannot listen on port {self.port} again")

    async def _close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _shutdown(self) -> None:
        await self._close_listener()
        if self._blackhole_over is not None:
            self._blackhole_over.set()
        await self._reset_all()

    async def _start_blackhole(self) -> None:
        self._blackholed = True
        self._blackhole_over = asyncio.Event()

    async def _end_blackhole(self) -> None:
        self._blackholed = False
        if self._blackhole_over is not None:
            self._blackhole_over.set()

    async def _reset_all(self) -> None:
        for writer in list(self._open):
            self._abort(writer)

    def _abort(self, writer: asyncio.StreamWriter) -> None:
        """Close with a TCP reset (SO_LINGER 0), not a polite FIN: the client sees 'connection reset'."""
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        self._open.discard(writer)
        self.connections_reset += 1

    async def _wait_blackhole(self) -> bool:
        """While blackholed, wait for its end; True when the connection was held (and must be reset now)."""
        if not self._blackholed or self._blackhole_over is None:
            return False
        await self._blackhole_over.wait()
        return True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open.add(writer)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            if await self._wait_blackhole():
                self._abort(writer)
                return
            if self.http:
                await self._serve_http(reader, writer)
            else:
                upstream = await self._connect()
                if upstream is None:
                    self._abort(writer)
                    return
                await self._pipe(reader, writer, *upstream)
        except (ConnectionError, _Closed, asyncio.IncompleteReadError, ssl.SSLError, OSError):
            pass
        finally:
            if upstream is not None:
                upstream[1].transport.abort()
            if writer in self._open:
                self._open.discard(writer)
                writer.close()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        try:
            return await asyncio.wait_for(
                asyncio.open_connection(*self.upstream, ssl=self._client_ssl, limit=MAX_HEAD_BYTES), timeout=10
            )
        except (OSError, TimeoutError, ssl.SSLError):
            return None

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            while data := await src.read(65536):
                if await self._wait_blackhole():
                    self._abort(writer)
                    return
                dst.write(data)
                await dst.drain()
            with contextlib.suppress(OSError):
                dst.write_eof()

        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer), return_exceptions=True)

    async def _serve_http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                try:
                    message = await _read_message(reader, request_method=None)
                except _Closed:
                    return
                method, path = _request_line(message.start)
                request = Request(method, path, message.headers, message.body)
                keep = self._keep_bodies is not None and self._keep_bodies(request)
                exchange = Exchange(method, path, time.monotonic(), body=message.body if keep else None)
                with self._lock:
                    self.exchanges.append(exchange)
                    rules = [rule for rule in self._rules if rule.applies(request, self._random.random())]
                    jitter = self._random.uniform(-1.0, 1.0)
                for rule in rules:
                    if rule.kind == "latency":
                        exchange.fault = exchange.fault or "latency"
                        await asyncio.sleep(max(0.0, rule.latency + rule.jitter * jitter))
                if await self._wait_blackhole():
                    exchange.fault = "blackhole"
                    self._abort(writer)
                    return
                answer = next((rule for rule in rules if rule.kind == "answer"), None)
                if answer is not None:
                    exchange.fault, exchange.status = f"answer:{answer.status}", answer.status
                    writer.write(_response(answer.status, answer.headers, answer.body))
                    await writer.drain()
                    exchange.delivered, exchange.finished = True, time.monotonic()
                    continue
                reply = None
                for fresh in (upstream is None, True):
                    # A kept-alive upstream connection the server closed while idle (its keep-alive timeout) is
                    # opened again, as a client's pool would: nothing was read from it, so nothing was done.
                    if fresh:
                        if upstream is not None:
                            upstream[1].transport.abort()
                        upstream = await self._connect()
                        if upstream is None:
                            exchange.fault = "refused"
                            self._abort(writer)
                            return
                    assert upstream is not None
                    up_reader, up_writer = upstream
                    try:
                        up_writer.write(message.head + message.raw_body)
                        await up_writer.drain()
                        reply = await _read_message(up_reader, request_method=method)
                        break
                    except (_Closed, ConnectionError, asyncio.IncompleteReadError) as exc:
                        stale = isinstance(exc, ConnectionError) or (isinstance(exc, _Closed) and not exc.partial)
                        if fresh or not stale:
                            exchange.fault = "upstream closed"
                            self._abort(writer)
                            return
                assert reply is not None
                exchange.status = _status(reply.start)
                if keep:
                    exchange.reply = reply.body
                reply = self._rewritten(request, reply)
                if await self._wait_blackhole():
                    exchange.fault = "blackhole"
                    self._abort(writer)
                    return
                fault = next((rule.kind for rule in rules if rule.kind in ("reset", "hold")), None)
                if fault == "reset":
                    exchange.fault = "reset"
                    cut = max(1, int(len(reply.raw_body) * RESET_AFTER_FRACTION))
                    writer.write(reply.head + reply.raw_body[:cut])
                    await writer.drain()
                    self._abort(writer)
                    return
                if fault == "hold":
                    exchange.fault = "hold"
                    # Never answered: wait for the client to give up (it closes), then drop the upstream too.
                    with contextlib.suppress(Exception):
                        while await reader.read(65536):
                            pass
                    return
                writer.write(reply.head + reply.raw_body)
                await writer.drain()
                exchange.delivered, exchange.finished = True, time.monotonic()
                if _closes(message.headers) or _closes(reply.headers):
                    return
        finally:
            if upstream is not None:
                upstream[1].transport.abort()

    def _rewritten(self, request: Request, reply: _Message) -> _Message:
        with self._lock:
            rewrites = [(old, new) for match, old, new in self._rewrites if match(request)]
        if not rewrites:
            return reply
        body = reply.body
        for old, new in rewrites:
            body = body.replace(old, new)
        lines = [
            line
            for line in reply.head.decode("latin-1").split("\r\n")[1:]
            if line and line.split(":", 1)[0].strip().lower() not in ("content-length", "transfer-encoding")
        ]
        head = "\r\n".join([reply.start, *lines, f"Content-Length: {len(body)}", "", ""]).encode("latin-1")
        return _Message(head, reply.start, reply.headers, body, body)


# --- HTTP/1.1 framing ---------------------------------------------------------------------------------------------


async def _read_message(reader: asyncio.StreamReader, request_method: str | None) -> _Message:
    """One request (request_method None) or the response to a request of `request_method`."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise _Closed(partial=bool(exc.partial)) from exc
    except asyncio.LimitOverrunError as exc:
        raise _Closed() from exc
    text = head.decode("latin-1")
    start, *lines = text.split("\r\n")
    headers: dict[str, str] = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raw, body = await _read_chunked(reader)
    elif "content-length" in headers:
        raw = body = await reader.readexactly(int(headers["content-length"]))
    elif request_method is None:
        raw = body = b""  # a request without a length has no body
    else:
        status = _status(start)
        if request_method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            raw = body = b""
        else:
            raw = body = await reader.read()  # read to close
    return _Message(head, start, headers, body, raw)


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    raw = bytearray()
    body = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        raw += line
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailers, then the empty line
                trailer = await reader.readuntil(b"\r\n")
                raw += trailer
                if trailer == b"\r\n":
                    return bytes(raw), bytes(body)
        chunk = await reader.readexactly(size + 2)
        raw += chunk
        body += chunk[:-2]


def _request_line(start: str) -> tuple[str, str]:
    parts = start.split(" ")
    return (parts[0], parts[1]) if len(parts) >= 2 else (start, "")


def _status(start: str) -> int:
    parts = start.split(" ")
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0


def _closes(headers: dict[str, str]) -> bool:
    return headers.get("connection", "").lower() == "close"


REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def _response(status: int, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# --- a self-signed certificate for 127.0.0.1 -----------------------------------------------------------------------


def _self_signed_context(folder: Path) -> ssl.SSLContext:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fault-proxy")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context
