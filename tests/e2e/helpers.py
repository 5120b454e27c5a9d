"""What an end-to-end test does through the HTTP API, as a client would: upload, submit, poll, read."""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DATA = REPO_ROOT / "sample_data"

NDA_STANDARD = "nda_mutual_standard.md"
NDA_VARIANT_A = "nda_mutual_variant_a.md"
NDA_VARIANT_B = "nda_mutual_variant_b.txt"

JOB_EVENTS = "job-events"
PRINCIPAL_ID_HEADER = "X-MS-CLIENT-PRINCIPAL-ID"
TERMINAL = ("completed", "failed", "cancelled")
# The job's progress: the status body's customStatus, the job document's `progress`, every stream event.
PROGRESS_FIELDS = frozenset({"current_step", "percentage", "message", "items_done", "items_total", "updated_at", "seq"})


class JobTimeout(AssertionError):
    """A job did not reach a terminal state in time: the test shows every status it saw."""


OBJECT_ID_CLAIM = "http://schemas.microsoft.com/identity/claims/objectidentifier"


def principal_headers(user: str, *roles: str) -> dict[str, str]:
    """The `X-MS-CLIENT-PRINCIPAL` App Service Authentication sends for `user` with app `roles` (e.g. "ops")."""
    claims = [{"typ": OBJECT_ID_CLAIM, "val": user}, *({"typ": "roles", "val": role} for role in roles)]
    body = {"auth_typ": "aad", "claims": claims, "name_typ": "name", "role_typ": "roles"}
    return {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(body).encode()).decode()}


def client_for(base_url: str, user: str | None) -> httpx.Client:
    """An HTTP client acting as `user` (EasyAuth principal header; devhost trusts it in tests), or anonymous."""
    headers = {PRINCIPAL_ID_HEADER: user} if user is not None else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=httpx.Timeout(30.0))


def upload_sample(client: httpx.Client, filename: str, title: str | None = None) -> str:
    """POST /api/contracts with the sample file as base64 (the way the frontend uploads files)."""
    content = base64.b64encode((SAMPLE_DATA / filename).read_bytes()).decode()
    body = {"title": title or filename, "filename": filename, "content_base64": content}
    reply = client.post("/api/contracts", json=body)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["contract_id"])


def upload_text(client: httpx.Client, title: str, text: str) -> str:
    reply = client.post("/api/contracts", json={"title": title, "text": text})
    assert reply.status_code == 201, reply.text
    return str(reply.json()["contract_id"])


def submit_comparison(
    client: httpx.Client, standard_id: str, compared_ids: list[str], **request: Any
) -> dict[str, Any]:
    body = {
        "request": {"standardContractId": standard_id, "compareContractIds": compared_ids, **request},
        "priority": 5,
    }
    reply = client.post("/api/jobs/comparison", json=body)
    assert reply.status_code == 202, reply.text
    submitted: dict[str, Any] = reply.json()
    # "queued" (what was accepted), even when the orchestration's first step has already begun.
    assert submitted["status"] == "queued", submitted
    assert reply.headers["Location"] == submitted["statusQueryGetUri"]
    return submitted


def submit_query(client: httpx.Client, question: str, contract_ids: list[str]) -> dict[str, Any]:
    reply = client.post("/api/jobs/query", json={"request": {"question": question, "contract_ids": contract_ids}})
    assert reply.status_code == 202, reply.text
    submitted: dict[str, Any] = reply.json()
    return submitted


def status_url(job_id: str) -> str:
    return f"/api/jobs/{job_id}/status"


@dataclass
class JobWatch:
    """Everything a poller of statusQueryGetUri saw, in order."""

    final: dict[str, Any]
    seen: list[tuple[int, str, str]] = field(default_factory=list)  # (HTTP status, job status, current_step)
    seqs: list[int] = field(default_factory=list)  # customStatus.seq of every poll

    @property
    def statuses(self) -> list[str]:
        return [status for _, status, _ in self.seen]


def progress_seq(progress: dict[str, Any], last: int, where: str) -> int:
    """The seq of a job's progress as the API shows it, checked: the whole JobProgress, and never behind `last`
    (the streams use it as the event id, so a poller must never see it go back)."""
    assert set(progress) == PROGRESS_FIELDS, f"{where}: not a JobProgress: {progress}"
    seq = int(progress["seq"])
    assert seq >= last, f"{where}: progress seq went back from {last} to {seq}: {progress}"
    return seq


def wait_for_job(
    client: httpx.Client,
    url: str,
    *,
    timeout: float = 60.0,
    interval: float = 0.2,
    allow_missing: bool = False,
    until: Callable[[dict[str, Any]], bool] | None = None,
) -> JobWatch:
    """Poll a status URL the Durable way (202 while running, 200 when terminal) until it is done, or until
    `until(body)` holds. `allow_missing` tolerates 404 while a queued request has not created the job yet."""
    deadline = time.monotonic() + timeout
    seen: list[tuple[int, str, str]] = []
    seqs: list[int] = []
    while True:
        reply = client.get(url)
        if reply.status_code == 404 and allow_missing:
            body: dict[str, Any] = {}
        else:
            assert reply.status_code in (200, 202), f"{url}: {reply.status_code} {reply.text}"
            body = reply.json()
            # The job's id and status are top-level; customStatus is the job's progress, whose seq never goes back.
            assert url.rstrip("/").endswith(f"/{body['job_id']}/status"), body
            progress = body["customStatus"]
            seqs.append(progress_seq(progress, seqs[-1] if seqs else 0, url))
            seen.append((reply.status_code, str(body["status"]), str(progress["current_step"])))
            if reply.status_code == 200:
                assert body["status"] in TERMINAL, body
                return JobWatch(body, seen, seqs)
            assert body["status"] in ("queued", "processing"), body
            assert reply.headers.get("Retry-After"), "a 202 must tell the poller when to come back"
            if until is not None and until(body):
                return JobWatch(body, seen, seqs)
        if time.monotonic() > deadline:
            raise JobTimeout(f"{url} not terminal after {timeout}s; saw {seen[-10:]}")
        time.sleep(interval)


def get_json(client: httpx.Client, url: str, expect: int = 200) -> Any:
    reply = client.get(url)
    assert reply.status_code == expect, f"GET {url}: {reply.status_code} {reply.text}"
    return reply.json()


def result_of(client: httpx.Client, watch: JobWatch) -> dict[str, Any]:
    """The stored result a completed job links to (GET /api/results/{result_id})."""
    assert watch.final["status"] == "completed", watch.final
    result_id = watch.final["output"]["result_id"]
    stored: dict[str, Any] = get_json(client, f"/api/results/{result_id}")
    assert stored["result_id"] == result_id
    assert stored["job_id"] == watch.final["job_id"]
    return stored


def finding(comparison: dict[str, Any], title_word: str) -> dict[str, Any]:
    """The one clause finding whose title contains `title_word` (case-insensitive)."""
    matches = [c for c in comparison["clauses"] if title_word.lower() in c["title"].lower()]
    assert len(matches) == 1, f"{title_word!r} in {[c['title'] for c in comparison['clauses']]}"
    return matches[0]


def comparison_for(result: dict[str, Any], contract_id: str) -> dict[str, Any]:
    matches = [c for c in result["comparisons"] if c["contract_id"] == contract_id]
    assert len(matches) == 1, [c["contract_id"] for c in result["comparisons"]]
    return matches[0]


def wait_until(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.1, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def queue_texts(connection: str, name: str) -> list[str]:
    """Every message on a queue, read without consuming it (peek), as text."""
    with QueueClient.from_connection_string(connection, name) as client:
        try:
            return [str(m.content) for m in client.peek_messages(max_messages=32)]
        except ResourceNotFoundError:
            return []


def events_for(connection: str, job_id: str) -> list[dict[str, Any]]:
    events = []
    for text in queue_texts(connection, JOB_EVENTS):
        try:
            event = json.loads(text)
        except ValueError:
            event = json.loads(base64.b64decode(text))
        if event.get("job_id") == job_id:
            events.append(event)
    return events


def clear_queue(connection: str, name: str) -> None:
    """Empty a queue (a peek shows at most 32 messages: older events would crowd out a test's own)."""
    with QueueClient.from_connection_string(connection, name) as client, contextlib.suppress(ResourceNotFoundError):
        client.clear_messages()
