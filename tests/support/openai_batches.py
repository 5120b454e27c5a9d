"""The Batch API half of the OpenAI test server (tests/support/openai_server.py): files and batches in memory,
served on the OpenAI routes (/v1/files, /v1/batches) and the Azure ones (/openai/files, /openai/batches, with
`api-version`), as the `openai` SDK calls them. Every line of a batch is checked as the service checks it (unique
custom_id, POST, the batch's endpoint, a model) — a bad file fails the batch with the line numbers.

Lines are answered by the server's own chat responder (echo_content, or what set_default installed), so an
economy run gets the answers a standard run would. A batch is `validating` when created and `in_progress` at its
first read; a later read at least `complete_after` seconds after its creation completes it, unless held:

    api = server.batch_api
    api.complete_after = 2.0                       # in_progress for 2 s, then completed
    api.hold(); api.process(3); api.release()      # batches wait; 3 more lines of each answered; go on
    api.fail_lines({"<custom_id>": "This request cannot be processed"})   # error-file lines (HTTP 400)
    api.fail_lines_where(lambda custom_id, body: ..., "message")
    api.answer_lines({"<custom_id>": {"response_text": "...", "score": 9, "evidence": []}})  # scripted content
    api.fail_next_batch("model not found")         # the next batch fails as a whole (status failed)
    api.expire(batch_id)                           # out of its 24 h: stops with the lines answered so far
    api.files_lost = True                          # file contents answer 404
    api.calls                                      # every call: BatchCall(method, path, query, body)
    api.uploads, api.created, api.cancel_requests  # the calls of each kind

A cancelled batch is `cancelling`, then `cancelled` at a read `cancel_after` seconds later; its output and error
files hold the lines answered before the cancel.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.openai_batch_objects import (
    AZURE_ENDPOINT,
    OPENAI_ENDPOINT,
    BatchCall,
    FakeBatch,
    check_lines,
    error,
    file_json,
    multipart_fields,
)

Answer = Callable[[dict[str, Any], str], dict[str, Any]]  # (line body, url) -> chat completion


class BatchAPIFake:
    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.files: dict[str, tuple[dict[str, Any], bytes]] = {}
            self.batches: dict[str, FakeBatch] = {}
            self.calls: list[BatchCall] = []
            self.complete_after = 0.0
            self.cancel_after = 0.0
            self.held = False
            self._failing: dict[str, str] = {}
            self._failing_where: list[tuple[Callable[[str, dict[str, Any]], bool], str]] = []
            self._scripted: dict[str, Any] = {}
            self._fail_next: str | None = None
            self.files_lost = False  # the output and error files' content is gone (404)

    # --- scripting ---------------------------------------------------------------------------------------------

    def hold(self) -> None:
        self.held = True

    def release(self) -> None:
        self.held = False

    def process(self, lines: int) -> None:
        """Answer up to `lines` more lines of every batch in progress (held or not)."""
        with self._lock:
            for batch in self.batches.values():
                if batch.status == "in_progress":
                    self._work(batch, lines)

    def fail_lines(self, failures: dict[str, str]) -> None:
        with self._lock:
            self._failing.update(failures)

    def fail_lines_where(self, predicate: Callable[[str, dict[str, Any]], bool], message: str) -> None:
        with self._lock:
            self._failing_where.append((predicate, message))

    def answer_lines(self, contents: dict[str, Any]) -> None:
        with self._lock:
            self._scripted.update(contents)

    def expire(self, batch_id: str) -> None:
        """The batch ran out of its completion window: it stops with the lines answered so far."""
        with self._lock:
            self._finish(self.batches[batch_id], "expired")

    def fail_next_batch(self, message: str) -> None:
        self._fail_next = message

    @property
    def uploads(self) -> list[BatchCall]:
        return [c for c in self.calls if c.method == "POST" and c.path.endswith("/files")]

    @property
    def created(self) -> list[BatchCall]:
        return [c for c in self.calls if c.method == "POST" and c.path.endswith("/batches")]

    @property
    def cancel_requests(self) -> list[BatchCall]:
        return [c for c in self.calls if c.path.endswith("/cancel")]

    def input_lines(self, batch_id: str) -> list[dict[str, Any]]:
        return list(self.batches[batch_id].lines)

    # --- routes ------------------------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        routes = []
        for prefix in ("/v1", "/openai"):
            routes += [
                Route(f"{prefix}/files", self._upload, methods=["POST"]),
                Route(f"{prefix}/files/{{file_id}}", self._file, methods=["GET"]),
                Route(f"{prefix}/files/{{file_id}}/content", self._content, methods=["GET"]),
                Route(f"{prefix}/batches", self._create, methods=["POST"]),
                Route(f"{prefix}/batches", self._list, methods=["GET"]),
                Route(f"{prefix}/batches/{{batch_id}}", self._retrieve, methods=["GET"]),
                Route(f"{prefix}/batches/{{batch_id}}/cancel", self._cancel, methods=["POST"]),
            ]
        return routes

    def _record(self, request: Request, body: dict[str, Any]) -> Response | None:
        with self._lock:
            self.calls.append(
                BatchCall(request.method, request.url.path, dict(request.query_params), body, dict(request.headers))
            )
        azure = request.url.path.startswith("/openai/")
        if azure and "api-version" not in request.query_params:
            return error(404, "Resource not found (no api-version)")
        return None

    async def _upload(self, request: Request) -> Response:
        fields = multipart_fields(request.headers.get("content-type", ""), await request.body())
        filename, content = fields.get("file", (None, b""))
        purpose = fields.get("purpose", (None, b""))[1].decode()
        lines = [line for line in content.decode().splitlines() if line.strip()]
        refused = self._record(request, {"purpose": purpose, "filename": filename, "lines": len(lines)})
        if refused is not None:
            return refused
        if purpose != "batch" or not lines:
            return error(400, f"a batch input file needs purpose 'batch' and lines (purpose {purpose!r})")
        file_id = f"file-{next(self._ids)}"
        with self._lock:
            self.files[file_id] = (file_json(file_id, str(filename), purpose, len(content)), content)
        return JSONResponse(self.files[file_id][0])

    async def _file(self, request: Request) -> Response:
        refused = self._record(request, {})
        found = self.files.get(request.path_params["file_id"])
        return refused or (JSONResponse(found[0]) if found else error(404, "No such file"))

    async def _content(self, request: Request) -> Response:
        refused = self._record(request, {})
        found = None if self.files_lost else self.files.get(request.path_params["file_id"])
        return refused or (
            Response(found[1], media_type="application/octet-stream") if found else error(404, "No such file")
        )

    async def _create(self, request: Request) -> Response:
        body = json.loads(await request.body())
        refused = self._record(request, body)
        if refused is not None:
            return refused
        endpoint = AZURE_ENDPOINT if request.url.path.startswith("/openai/") else OPENAI_ENDPOINT
        if body.get("endpoint") != endpoint or body.get("completion_window") != "24h":
            return error(400, f"endpoint must be {endpoint!r} and completion_window '24h', got {body!r}")
        found = self.files.get(str(body.get("input_file_id")))
        if found is None:
            return error(400, f"input file {body.get('input_file_id')!r} not found")
        lines = [json.loads(line) for line in found[1].decode().splitlines() if line.strip()]
        batch = FakeBatch(f"batch_{next(self._ids)}", found[0]["id"], endpoint, lines, time.time())
        batch.errors = check_lines(lines, endpoint)
        if self._fail_next is not None:
            batch.errors, self._fail_next = (
                [{"code": "invalid_request", "message": self._fail_next, "line": None}],
                None,
            )
        with self._lock:
            self.batches[batch.id] = batch
        return JSONResponse(batch.json())

    async def _list(self, request: Request) -> Response:
        refused = self._record(request, {})
        newest = sorted(self.batches.values(), key=lambda b: (b.created, b.id), reverse=True)
        after = request.query_params.get("after")
        if after:
            ids = [b.id for b in newest]
            newest = newest[ids.index(after) + 1 :] if after in ids else []
        limit = int(request.query_params.get("limit", "20"))
        page = newest[:limit]
        data = [b.json() for b in page]
        body = {"object": "list", "data": data, "first_id": page[0].id if page else None,
                "last_id": page[-1].id if page else None, "has_more": len(newest) > limit}  # fmt: skip
        return refused or JSONResponse(body)

    async def _retrieve(self, request: Request) -> Response:
        refused = self._record(request, {})
        batch = self.batches.get(request.path_params["batch_id"])
        if refused is not None or batch is None:
            return refused or error(404, "No such batch")
        with self._lock:
            self._tick(batch)
            return JSONResponse(batch.json())

    async def _cancel(self, request: Request) -> Response:
        refused = self._record(request, {})
        batch = self.batches.get(request.path_params["batch_id"])
        if refused is not None or batch is None:
            return refused or error(404, "No such batch")
        with self._lock:
            if batch.status in ("completed", "failed", "expired", "cancelled"):
                return error(409, f"Cannot cancel a batch with status {batch.status!r}", "invalid_state")
            if batch.status != "cancelling":
                batch.status, batch.cancel_asked = "cancelling", time.time()
                batch.stamps["cancelling"] = int(time.time())
            return JSONResponse(batch.json())

    # --- processing --------------------------------------------------------------------------------------------

    def _tick(self, batch: FakeBatch) -> None:
        now = time.time()
        if batch.status == "validating":
            batch.status = "failed" if batch.errors else "in_progress"
            batch.stamps["failed" if batch.errors else "in_progress"] = int(now)
        elif batch.status == "in_progress" and not self.held and now >= batch.created + self.complete_after:
            self._work(batch, len(batch.lines))
            self._finish(batch, "completed")
        elif batch.status == "cancelling" and batch.cancel_asked and now >= batch.cancel_asked + self.cancel_after:
            self._finish(batch, "cancelled")

    def _work(self, batch: FakeBatch, count: int) -> None:
        for line in batch.lines[len(batch.answered) + len(batch.failed) :][:count]:
            custom_id, body = line["custom_id"], line["body"]
            request_id = f"req_{next(self._ids)}"
            message = self._failing.get(custom_id) or next(
                (m for predicate, m in self._failing_where if predicate(custom_id, body)), None
            )
            if message is not None:
                error = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
                response = {"status_code": 400, "request_id": request_id, "body": {"error": error}}
                batch.failed.append({"id": f"batch_req_{next(self._ids)}", "custom_id": custom_id,
                                     "response": response, "error": None})  # fmt: skip
                continue
            completion = self._answer(body, line["url"])
            if custom_id in self._scripted:
                scripted = self._scripted[custom_id]
                text = scripted if isinstance(scripted, str) else json.dumps(scripted)
                completion["choices"][0]["message"]["content"] = text
            response = {"status_code": 200, "request_id": request_id, "body": completion}
            batch.answered.append({"id": f"batch_req_{next(self._ids)}", "custom_id": custom_id,
                                   "response": response, "error": None})  # fmt: skip

    def _finish(self, batch: FakeBatch, status: str) -> None:
        for kind, lines in (("output", batch.answered), ("error", batch.failed)):
            if lines:
                file_id = f"file-{kind}-{next(self._ids)}"
                content = "".join(json.dumps(line) + "\n" for line in lines).encode()
                self.files[file_id] = (
                    file_json(file_id, f"{batch.id}_{kind}.jsonl", "batch_output", len(content)),
                    content,
                )
                setattr(batch, f"{kind}_file_id", file_id)
        batch.status = status
        batch.stamps[status] = int(time.time())
