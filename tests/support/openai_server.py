"""An OpenAI-compatible chat-completions server for tests, driven through the real `openai` SDK.

Serves POST /v1/chat/completions (OpenAI) and POST /openai/deployments/{deployment}/chat/completions?api-version=
(Azure) from a Starlette app run by uvicorn in a thread on a free 127.0.0.1 port, and the Batch API beside them
(/v1/files, /v1/batches, /openai/files, /openai/batches), whose lines get the same default answers.

Scripting: each request takes the next queued `Reply` (FIFO); with the queue empty the server answers with the
default responder, which builds schema-valid content from the request (deterministic findings from the
`<contract>`/`<clause>` elements of our prompts), so end-to-end tests run against it without scripting.

    server.respond_json({"answer": "...", "citations": []}, usage={"prompt_tokens": 10, ...})
    server.rate_limit(retry_after_ms=250)           # 429 with retry-after-ms
    server.rate_limit(retry_after="2")              # 429 with retry-after (seconds or an HTTP date)
    server.server_error(500, times=3)
    server.fail(400, "bad things", code="content_filter")   # permanent error
    server.respond_invalid_json()                   # 200 whose content is not JSON
    server.slow(5.0)                                # sleeps, then the default (or `then=`) reply
    gate = server.hold(); ...; gate.set()           # the next request waits (arrived, unanswered) until released
    server.enqueue(Reply(...))                      # anything else
    server.set_default(lambda request: {...})       # replace the echo responder (None restores it)
    server.requests                                 # RecordedRequest list: path, query, headers, body, ...
    server.batch_api                                # the Batch API (files, batches): tests/support/openai_batches.py

Use the `openai_server` fixture (one server per session, reset before each test), with `server.settings()` /
`server.azure_settings()` for Settings pointing at it.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.settings import Settings
from tests.support.openai_batches import BatchAPIFake

API_KEY = "test-key"
OMIT = object()  # pass as `usage=OMIT` to leave usage out of the response


@dataclass
class Reply:
    """One scripted behaviour. status 200 returns `content` as the assistant message; other statuses return
    an OpenAI-style error body built from `error_message` / `error_code`."""

    status: int = 200
    content: str | None = None  # None with status 200: use the default responder's content
    usage: dict[str, int] | object | None = None  # None: computed from sizes; OMIT: left out
    headers: dict[str, str] = field(default_factory=dict)
    error_message: str = "scripted error"
    error_code: str | None = None
    error_type: str = "invalid_request_error"
    delay_seconds: float = 0.0
    gate: threading.Event | None = None  # answer only once this is set (see OpenAITestServer.hold)
    finish_reason: str = "stop"
    refusal: str | None = None
    model: str | None = None  # reported model; default: the requested model / deployment
    raw_body: str | None = None  # send exactly this body instead (e.g. a non-JSON error page)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: dict[str, Any]
    deployment: str | None = None  # Azure path parameter
    reply_status: int = 200  # what the server answered: 429 for a throttled call, 400 for a rejected one
    arrived_at: float = field(default_factory=time.monotonic)  # when the server read it (time.monotonic)

    @property
    def model(self) -> str | None:
        return self.body.get("model")

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def response_format(self) -> dict[str, Any] | None:
        return self.body.get("response_format")

    @property
    def json_schema(self) -> dict[str, Any] | None:
        fmt = self.response_format or {}
        return (fmt.get("json_schema") or {}).get("schema")

    @property
    def schema_name(self) -> str | None:
        fmt = self.response_format or {}
        return (fmt.get("json_schema") or {}).get("name")

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")

    def text(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages)


Responder = Callable[[RecordedRequest], Any]


class OpenAITestServer:
    def __init__(self) -> None:
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._default: Responder | None = None
        self._stopping = threading.Event()
        self._gates: list[threading.Event] = []
        self.requests: list[RecordedRequest] = []
        self.batch_api = BatchAPIFake(self._batch_line_completion)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._openai, methods=["POST"]),
                Route("/openai/deployments/{deployment}/chat/completions", self._azure, methods=["POST"]),
                *self.batch_api.routes(),
            ]
        )
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> OpenAITestServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("openai test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._stopping.set()  # ends slow replies early so shutdown does not wait for them
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._sock.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def azure_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "llm_provider": "openai",
            "openai_base_url": self.base_url,
            "openai_api_key": API_KEY,
            "openai_model_primary": "test-model-primary",
            "openai_model_secondary": "test-model-secondary",
            "llm_timeout_seconds": 10.0,
            "llm_max_retries": 2,
        }
        return Settings(**{**values, **overrides})

    def azure_settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "llm_provider": "azure_openai",
            "azure_openai_endpoint": self.azure_endpoint,
            "azure_openai_api_key": API_KEY,
            "azure_openai_deployment_primary": "contracts-primary",
            "azure_openai_deployment_secondary": "contracts-secondary",
            "llm_timeout_seconds": 10.0,
            "llm_max_retries": 2,
        }
        return Settings(**{**values, **overrides})

    # --- scripting ---------------------------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            for gate in self._gates:  # a test that failed holding a request must not hold it for the next one
                gate.set()
            self._gates.clear()
            self._queue.clear()
            self.requests.clear()
            self._default = None
        self.batch_api.reset()

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def respond_json(
        self, content: Any, *, usage: dict[str, int] | object | None = None, model: str | None = None
    ) -> None:
        text = content if isinstance(content, str) else json.dumps(content)
        self.enqueue(Reply(content=text, usage=usage, model=model))

    def respond_invalid_json(self, text: str = '{"answer": "cut off', times: int = 1) -> None:
        self.enqueue(*(Reply(content=text) for _ in range(times)))

    def rate_limit(
        self, *, retry_after_ms: float | None = None, retry_after: str | None = None, times: int = 1
    ) -> None:
        headers: dict[str, str] = {}
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        if retry_after is not None:
            headers["retry-after"] = retry_after
        reply = Reply(status=429, headers=headers, error_message="Rate limit reached", error_code="rate_limit_exceeded")
        self.enqueue(*(reply for _ in range(times)))

    def server_error(self, status: int = 500, message: str = "The server had an error", times: int = 1) -> None:
        reply = Reply(status=status, error_message=message, error_type="server_error")
        self.enqueue(*(reply for _ in range(times)))

    def fail(self, status: int = 400, message: str = "Invalid request", code: str | None = None) -> None:
        self.enqueue(Reply(status=status, error_message=message, error_code=code))

    def slow(self, seconds: float, then: Reply | None = None) -> None:
        reply = then or Reply()
        self.enqueue(
            Reply(**{**reply.__dict__, "delay_seconds": seconds, "headers": dict(reply.headers)}),
        )

    def hold(self, then: Reply | None = None) -> threading.Event:
        """The next request arrives (it is recorded) but gets no answer until the returned event is set: the
        caller is stuck mid-call for as long as a test needs, without guessing a delay. Reset releases it."""
        gate = threading.Event()
        reply = then or Reply()
        with self._lock:
            self._gates.append(gate)
            self._queue.append(Reply(**{**reply.__dict__, "gate": gate, "headers": dict(reply.headers)}))
        return gate

    def set_default(self, responder: Responder | None) -> None:
        """Content for unscripted requests: a responder returning a dict/list (sent as JSON) or a str."""
        self._default = responder

    @property
    def pending(self) -> int:
        return len(self._queue)

    # --- handlers ----------------------------------------------------------------------------------------------

    async def _openai(self, request: Request) -> Response:
        return await self._handle(request, deployment=None)

    async def _azure(self, request: Request) -> Response:
        deployment = request.path_params["deployment"]
        if "api-version" not in request.query_params:
            return _error(404, "Resource not found (no api-version)", "404", "invalid_request_error")
        return await self._handle(request, deployment=deployment)

    async def _handle(self, request: Request, deployment: str | None) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, "request body is not JSON", None, "invalid_request_error")
        recorded = RecordedRequest(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            deployment=deployment,
        )
        with self._lock:
            self.requests.append(recorded)
            reply = self._queue.popleft() if self._queue else Reply()
            recorded.reply_status = reply.status
        if reply.gate is not None:
            while not reply.gate.is_set() and not self._stopping.is_set():
                await asyncio.sleep(0.02)
        if reply.delay_seconds:
            await self._sleep(reply.delay_seconds)
        if reply.raw_body is not None:
            return Response(reply.raw_body, status_code=reply.status, headers=reply.headers)
        if reply.status != 200:
            return _error(reply.status, reply.error_message, reply.error_code, reply.error_type, reply.headers)
        try:
            content = reply.content if reply.content is not None else self._default_content(recorded)
        except Exception as exc:  # a broken responder should fail the test visibly, not as a bare 500
            return _error(500, f"test server responder failed: {exc!r}", "responder_error", "server_error")
        return JSONResponse(self._completion(recorded, reply, content), headers=reply.headers)

    async def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._stopping.is_set():
            await asyncio.sleep(0.02)

    def _batch_line_completion(self, body: dict[str, Any], url: str) -> dict[str, Any]:
        """A Batch API line's chat completion: what a chat call with that body gets by default."""
        request = RecordedRequest(method="POST", path=url, query={}, headers={}, body=body)
        return self._completion(request, Reply(), self._default_content(request))

    def _default_content(self, request: RecordedRequest) -> str:
        produced = (self._default or echo_content)(request)
        return produced if isinstance(produced, str) else json.dumps(produced)

    def _completion(self, request: RecordedRequest, reply: Reply, content: str) -> dict[str, Any]:
        model = reply.model or request.model or request.deployment or "unknown"
        out: dict[str, Any] = {
            "id": f"chatcmpl-test-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": reply.refusal},
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ],
        }
        if reply.usage is OMIT:
            return out
        if isinstance(reply.usage, dict):
            out["usage"] = reply.usage
        else:
            # Deterministic stand-in figures (about four characters a token).
            prompt = max(1, len(request.text()) // 4)
            completion = max(1, len(content) // 4)
            out["usage"] = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
        return out


def _error(
    status: int,
    message: str,
    code: str | None,
    error_type: str,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers or {})


# --- the default "echo" responder --------------------------------------------------------------------------------

_CONTRACT = re.compile(
    r'<contract id="(?P<id>[^"]*)" title="(?P<title>[^"]*)"(?: role="(?P<role>[^"]*)")?>\n(?P<body>.*?)\n</contract>',
    re.DOTALL,
)
_CLAUSE = re.compile(r'<clause title="(?P<title>[^"]*)"(?: number="[^"]*")?>\n(?P<text>.*?)\n</clause>', re.DOTALL)
_QUESTION = re.compile(r"<question>(?P<q>.*?)</question>", re.DOTALL)
_SELECTED = re.compile(r"<selected_clauses>(?P<json>.*?)</selected_clauses>", re.DOTALL)
_PART_CITATIONS = re.compile(r"^citations: (?P<json>\[.*\])$", re.MULTILINE)


@dataclass
class EchoContract:
    contract_id: str
    title: str
    role: str | None
    clauses: list[tuple[str, str]]  # (title, text as sent)


def parse_contracts(text: str) -> list[EchoContract]:
    """The contracts in a prompt built by shared.llm.prompts (attribute values unescaped)."""
    contracts = []
    for m in _CONTRACT.finditer(text):
        clauses = [(html.unescape(c["title"]), c["text"]) for c in _CLAUSE.finditer(m["body"])]
        contracts.append(EchoContract(html.unescape(m["id"]), html.unescape(m["title"]), m["role"], clauses))
    return contracts


def _norm(text: str) -> str:
    return " ".join(text.split())


def _verbatim_snippet(text: str, limit: int = 120) -> str:
    """A prefix of the clause text, cut at a word boundary: a quote the citation check will accept."""
    flat = _norm(text)
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > 0 else limit]


def echo_content(request: RecordedRequest) -> Any:
    """Schema-valid content derived from the request: deterministic findings/answers for our schemas, a generic
    schema-filled object for any other schema, plain text without a response_format."""
    schema = request.json_schema
    if schema is None:
        return "echo: " + _norm(request.text())[:200]
    text = request.text()
    name = request.schema_name
    if name == "contract_comparison":
        # The system prompt mentions the element too: the user message holds the real one.
        user = "\n".join(str(msg.get("content", "")) for msg in request.messages if msg.get("role") == "user")
        selected = json.loads(html.unescape(m["json"])) if (m := _SELECTED.search(user)) else None
        return _echo_comparison(parse_contracts(text), selected)
    if name == "query_part_answer":
        return _echo_part(text, parse_contracts(text))
    if name == "query_answer":
        return _echo_combine(text)
    if name == "document_evaluation":
        return _echo_evaluation(request, schema)
    return fill_schema(schema, schema)


def _echo_comparison(contracts: list[EchoContract], selected: list[str] | None = None) -> dict[str, Any]:
    """Clauses aligned by title: same normalised text -> matched, else modified; unpaired -> missing/added.
    With selected clauses (clause mode) only those standard clauses are reported and nothing is "added"."""
    standard = next((c for c in contracts if c.role == "standard"), contracts[0] if contracts else None)
    compared = next((c for c in contracts if c.role == "compared"), contracts[-1] if contracts else None)
    findings: list[dict[str, Any]] = []
    if standard is None or compared is None:
        return {"similarity": 0.0, "summary": "No contracts found.", "clauses": []}
    theirs = {title.casefold(): text for title, text in compared.clauses}
    ours = {title.casefold() for title, _ in standard.clauses}
    wanted = {t.casefold() for t in selected} if selected is not None else None
    for title, text in standard.clauses:
        if wanted is not None and title.casefold() not in wanted:
            continue
        other = theirs.get(title.casefold())
        if other is None:
            findings.append(_finding(title, "missing", "high", text, ""))
        elif _norm(other) == _norm(text):
            findings.append(_finding(title, "matched", None, text, other))
        else:
            findings.append(_finding(title, "modified", "medium", text, other))
    for title, text in compared.clauses if wanted is None else []:
        if title.casefold() not in ours:
            findings.append(_finding(title, "added", "low", "", text))
    matched = sum(1 for f in findings if f["status"] == "matched")
    similarity = matched / len(findings) if findings else 1.0
    counts = {s: sum(1 for f in findings if f["status"] == s) for s in ("matched", "modified", "missing", "added")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items()) + "."
    return {"similarity": round(similarity, 4), "summary": summary, "clauses": findings}


def _finding(title: str, status: str, severity: str | None, standard: str, compared: str) -> dict[str, Any]:
    return {
        "title": title,
        "status": status,
        "severity": severity,
        "standard_excerpt": _verbatim_snippet(standard) if standard else "",
        "compared_excerpt": _verbatim_snippet(compared) if compared else "",
        "explanation": f"Echo: clause {status}.",
    }


def _echo_part(text: str, contracts: list[EchoContract]) -> dict[str, Any]:
    question = m["q"] if (m := _QUESTION.search(text)) else ""
    per_contract = []
    citations = []
    for contract in contracts:
        cites = []
        if contract.clauses:
            title, clause_text = contract.clauses[0]
            cites.append(
                {"contract_id": contract.contract_id, "clause_title": title, "quote": _verbatim_snippet(clause_text)}
            )
        citations.extend(cites)
        per_contract.append(
            {
                "contract_id": contract.contract_id,
                "answer": f"Echo answer for {contract.title}: {question}",
                "relevant": bool(cites),
                "citations": cites,
            }
        )
    return {
        "answer": f"Echo answer over {len(contracts)} contract(s): {question}",
        "citations": citations,
        "per_contract": per_contract,
    }


def _echo_combine(text: str) -> dict[str, Any]:
    question = m["q"] if (m := _QUESTION.search(text)) else ""
    citations: list[dict[str, Any]] = []
    for m in _PART_CITATIONS.finditer(text):
        try:
            citations.extend(json.loads(html.unescape(m["json"])))
        except ValueError:
            continue
    return {"answer": f"Echo combined answer: {question}", "citations": citations}


_DOCUMENT = re.compile(r"<document[^>]*>\n(?P<text>.*?)\n</document>", re.S)
_SCALE = re.compile(r"score is from (?P<low>[\d.]+) \(worst\) to (?P<high>[\d.]+) \(best\)")


def _echo_evaluation(request: RecordedRequest, schema: dict[str, Any]) -> dict[str, Any]:
    """A document evaluation: the best score the prompt allows (1 for pass/fail, the top of a scale), and the
    document's first words as evidence (verbatim, so the evidence check keeps them)."""
    system = "\n".join(str(m.get("content", "")) for m in request.messages if m.get("role") == "system")
    user = "\n".join(str(m.get("content", "")) for m in request.messages if m.get("role") == "user")
    document = m["text"] if (m := _DOCUMENT.search(user)) else ""
    reply: dict[str, Any] = {
        "response_text": f"Echo evaluation of {len(document)} characters.",
        "evidence": [_verbatim_snippet(document, 80)] if document.strip() else [],
    }
    if "score" in schema.get("properties", {}):
        reply["score"] = float(m["high"]) if (m := _SCALE.search(system)) else 1.0
    return reply


def fill_schema(node: dict[str, Any], root: dict[str, Any], name: str = "value") -> Any:
    """A deterministic instance of a (strict) JSON schema: first enum value, first non-null union member, one item
    per array, numbers at their minimum (or 0.5)."""
    if "$ref" in node:
        target: Any = root
        for key in node["$ref"][2:].split("/"):
            target = target[key]
        return fill_schema(target, root, name)
    if "enum" in node:
        return node["enum"][0]
    if "const" in node:
        return node["const"]
    if "anyOf" in node:
        variants = [v for v in node["anyOf"] if v.get("type") != "null"] or node["anyOf"]
        return fill_schema(variants[0], root, name)
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {key: fill_schema(sub, root, key) for key, sub in node.get("properties", {}).items()}
    if kind == "array":
        return [fill_schema(node.get("items", {}), root, name)]
    if kind == "string":
        return f"echo {name}"
    if kind == "integer":
        return int(node.get("minimum", 1))
    if kind == "number":
        return float(node.get("minimum", 0.5))
    if kind == "boolean":
        return True
    return None


# --- pytest fixture -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _openai_server_session() -> Iterator[OpenAITestServer]:
    server = OpenAITestServer().start()
    yield server
    server.stop()


@pytest.fixture
def openai_server(_openai_server_session: OpenAITestServer) -> Iterator[OpenAITestServer]:
    """The session's OpenAI-compatible test server, with an empty script and request log."""
    _openai_server_session.reset()
    yield _openai_server_session
    _openai_server_session.reset()
