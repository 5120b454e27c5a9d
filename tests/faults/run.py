"""One scenario's work, done as a user would do it through the HTTP API, and what the user saw.

The work: a comparison job (one standard against `contracts` others), a query job over the same contracts (on the
small-context model, so it is split into parts and combined), and a batch (`documents` x `prompts` records) staged
and then run; optionally a second batch run in economy mode (the Batch API). Every contract and document is
different (bench/batch_bench_data.py), so every model call asks a different question.

While it runs, the user keeps using the app: lists jobs, reads each job's status and the batch (`Probe`), and
follows each job's event stream as a browser does (`StreamFollower`): across dropped connections and error events,
reconnecting with Last-Event-ID, until the terminal event. Every answer is checked: a success, or an error in the
app's shape without internals. `Run.finish()` gathers the figures.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from api.queue_starter import JOB_REQUESTS_QUEUE as JOB_REQUESTS
from api.queue_starter import job_id_for_message
from bench.batch_bench_data import PROMPTS, contract_text, filename
from tests.faults.figures import ARTIFACTS, Figures
from tests.faults.ledger import Kill, account, nonce_of, question_key, schema_of
from tests.faults.world import Sizes, World
from tests.support.sse import parse_block

USER = "fault-user"
PRINCIPAL = "X-MS-CLIENT-PRINCIPAL-ID"
TERMINAL = ("completed", "failed", "cancelled")
FOLDER = "faults"
QUESTION = "Which law governs the agreement, and which courts resolve disputes?"
# What a user must never read in an answer: a stack trace, a host or URL of ours, an SDK's or a driver's words.
INTERNALS = re.compile(
    r"Traceback|File \"|\.py\b|127\.0\.0\.1|localhost|:\d{4,5}\b|azure\.|Cosmos|sqlite|database is locked|Errno|"
    r"ServiceRequestError|ServiceResponseError|HttpResponseError|Exception|urllib3|httpx|requests\.|x-ms-|ActivityId",
    re.IGNORECASE,
)


@dataclass
class Answer:
    at: float
    what: str
    status: int | None  # None: no answer at all (the host is down)
    problem: str | None = None


class Api:
    """The user's HTTP client: every answer recorded and checked."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.answers: list[Answer] = []
        self._lock = threading.Lock()

    def client(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(base_url=self.world.base_url, headers={PRINCIPAL: USER}, timeout=timeout)

    def record(self, what: str, status: int | None, text: str | None) -> None:
        problem = problem_in(status, text) if status is not None else None
        with self._lock:
            self.answers.append(Answer(time.monotonic(), what, status, problem))

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        what = f"{method} {path.split('?')[0]}"
        try:
            with self.client() as client:
                reply = client.request(method, path, **kwargs)
        except httpx.TransportError:
            self.record(what, None, None)
            return None
        self.record(what, reply.status_code, reply.text)
        return reply

    def patient(self, method: str, path: str, ok: tuple[int, ...], timeout: float = 180.0, **kwargs: Any) -> Any:
        """What a patient user does: try again after a 503 (or no answer) until `ok`; any other answer fails."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.call(method, path, **kwargs)
            if reply is not None and reply.status_code in ok:
                return reply.json() if reply.content else None
            if reply is not None and reply.status_code not in (429, 503):
                raise AssertionError(f"{method} {path}: {reply.status_code} {reply.text[:500]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {path}: no success in {timeout} s")
            time.sleep(1.0)


def problem_in(status: int, text: str | None) -> str | None:
    """What is wrong with an answer a user got, or None (599: a failed job's error, shown in a 200)."""
    if status == 599:
        return text
    if status < 400:
        return None
    if status == 500:
        return f"500: {(text or '')[:300]}"
    try:
        error = json.loads(text or "")["error"]
        assert set(error) == {"code", "message", "details"} and error["code"] and error["message"]
    except (ValueError, KeyError, TypeError, AssertionError):
        return f"{status} not in the error shape: {(text or '')[:300]}"
    leaked = INTERNALS.search(json.dumps(error))
    return f"{status} shows internals ({leaked.group(0)!r}): {json.dumps(error)[:300]}" if leaked else None


@dataclass
class JobSeen:
    job_id: str
    kind: str
    submitted: float
    status: str = "queued"
    ended: float | None = None
    output: Any = None


class Probe(threading.Thread):
    """The user's page: the job list, each job's status, the batch, every half second."""

    def __init__(self, api: Api, jobs: dict[str, JobSeen], batch_ids: list[str]) -> None:
        super().__init__(daemon=True, name="fault-probe")
        self.api, self.jobs, self.batch_ids = api, jobs, batch_ids
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            self.api.call("GET", "/api/jobs?limit=20")
            for job in list(self.jobs.values()):
                if job.ended is not None:
                    continue
                reply = self.api.call("GET", f"/api/jobs/{job.job_id}/status")
                if reply is not None and reply.status_code in (200, 202):
                    body = reply.json()
                    job.status = str(body["status"])
                    if job.status in TERMINAL:
                        job.ended, job.output = time.monotonic(), body.get("output")
            for batch_id in list(self.batch_ids):
                self.api.call("GET", f"/api/batches/{batch_id}")


@dataclass
class StreamSeen:
    ids: list[int] = field(default_factory=list)
    terminal: str | None = None
    connections: int = 0
    dropped: int = 0  # connections that ended or broke before the terminal event
    refused: int = 0  # a stream answered with an error status (the page then polls and tries again)
    error_events: int = 0
    problems: list[str] = field(default_factory=list)


class StreamFollower(threading.Thread):
    """A browser's EventSource on one job's stream: reconnects after `retry:` with Last-Event-ID until the terminal
    event; a stream refused with an error status is tried again, as the page does."""

    def __init__(self, api: Api, job_id: str, deadline: float) -> None:
        super().__init__(daemon=True, name=f"fault-stream-{job_id}")
        self.api, self.job_id, self.deadline = api, job_id, deadline
        self.seen = StreamSeen()

    def run(self) -> None:
        retry_s = 2.0
        path = f"/api/jobs/{self.job_id}/stream"
        while self.seen.terminal is None and time.monotonic() < self.deadline:
            headers = {"Last-Event-ID": str(self.seen.ids[-1])} if self.seen.ids else {}
            try:
                with (
                    self.api.client(timeout=60) as client,
                    client.stream("GET", path, headers=headers, timeout=httpx.Timeout(10, read=60)) as reply,
                ):
                    self.seen.connections += 1
                    if reply.status_code == 204:
                        self.seen.problems.append("204 before the terminal event")
                        return
                    if reply.status_code != 200:
                        self.seen.refused += 1
                        self.api.record(f"GET {path}", reply.status_code, reply.read().decode(errors="replace"))
                    else:
                        self.api.record(f"GET {path}", 200, None)
                        retry_s = self._read(reply, retry_s)
            except httpx.TransportError:
                self.api.record(f"GET {path}", None, None)
            if self.seen.terminal is None:
                self.seen.dropped += 1
                time.sleep(retry_s)

    def _read(self, reply: httpx.Response, retry_s: float) -> float:
        buffer = ""
        for chunk in reply.iter_text():
            buffer += chunk
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                event = parse_block(block)
                if event.retry is not None:
                    retry_s = event.retry / 1000
                if event.event == "error":
                    self.seen.error_events += 1
                    problem = problem_in(503, json.dumps(event.json))
                    if problem:
                        self.seen.problems.append(f"error event: {problem}")
                if event.event == "job_update" and event.id is not None:
                    seq = int(event.id)
                    if self.seen.ids and seq <= self.seen.ids[-1]:
                        self.seen.problems.append(f"event id {seq} after {self.seen.ids[-1]}")
                    self.seen.ids.append(seq)
                    status = event.json["status"]
                    if status in TERMINAL:
                        self.seen.terminal = status
                        return retry_s
        return retry_s


class Run:
    def __init__(self, world: World, size: Sizes, *, economy_documents: int = 0, query_by_queue: bool = False) -> None:
        self.world, self.size = world, size
        self.query_by_queue = query_by_queue
        self.api = Api(world)
        self.jobs: dict[str, JobSeen] = {}
        self.batch_ids: list[str] = []
        self.followers: list[StreamFollower] = []
        self.economy_documents = economy_documents
        self.kills: list[Kill] = []
        self.started = time.monotonic()
        self.fault_ended: float | None = None
        self.notes: dict[str, Any] = {}
        self._probe: Probe | None = None
        self._driver: threading.Thread | None = None
        self._deadline = 0.0

    # --- before the jobs ---------------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Contracts, documents and the batches, uploaded as a user does (patient with 503s)."""

        def upload(title: str, index: int) -> Any:
            body = {"title": title, "text": contract_text(index)}
            return self.api.patient("POST", "/api/contracts", (201,), json=body)

        self.standard = upload("Standard", 9000)
        self.compared = [upload(f"Compared {i}", 9001 + i)["contract_id"] for i in range(self.size.contracts)]
        prompts = PROMPTS[: self.size.prompts]
        self.batch_id = self._batch(FOLDER, range(self.size.documents), prompts)
        if self.economy_documents:
            self.economy_batch_id = self._batch(
                f"{FOLDER}-economy", range(1000, 1000 + self.economy_documents), prompts[:2]
            )

    def _batch(self, folder: str, indexes: range, prompts: list[dict[str, Any]]) -> str:
        for index in indexes:
            content = base64.b64encode(contract_text(index).encode()).decode()
            body = {"folder": folder, "filename": filename(index), "content_base64": content}
            self.api.patient("POST", "/api/documents", (201,), json=body)
        created = self.api.patient(
            "POST", "/api/batches", (201,), json={"name": folder, "folders": [folder], "prompts": prompts}
        )
        self.batch_ids.append(created["batch_id"])
        return str(created["batch_id"])

    # --- the jobs ----------------------------------------------------------------------------------------------

    def start(self, timeout: float) -> None:
        """Submit the jobs, follow them; the batch runs are submitted once their staging completed."""
        self.started = time.monotonic()
        self._deadline = self.started + timeout
        self._submit("staging", "POST", f"/api/batches/{self.batch_id}/stage")
        body = {"request": {"standardContractId": self.standard["contract_id"], "compareContractIds": self.compared}}
        self._submit("comparison", "POST", "/api/jobs/comparison", json=body)
        if not self.query_by_queue:
            self._submit("query", "POST", "/api/jobs/query", json={"request": self._query()})
        if self.economy_documents:
            self._submit("economy staging", "POST", f"/api/batches/{self.economy_batch_id}/stage")
        self._probe = Probe(self.api, self.jobs, self.batch_ids)
        self._probe.start()
        self._driver = threading.Thread(target=self._drive, daemon=True, name="fault-driver")
        self._driver.start()

    def _query(self) -> dict[str, Any]:
        return {"question": QUESTION, "contract_ids": self.compared, "modelSelection": "secondary"}

    def submit_query_by_queue(self) -> None:
        """The query job as another system submits it: a message on `job-requests` (put on Azurite itself); its
        job id follows from the message id (api/queue_starter.py)."""
        message = {"user_id": USER, "job_type": "query", "request": self._query(), "priority": 5}
        with QueueClient.from_connection_string(
            self.world.azurite.direct_connection, JOB_REQUESTS, message_encode_policy=TextBase64EncodePolicy()
        ) as queue:
            with contextlib.suppress(ResourceExistsError):
                queue.create_queue()
            sent = queue.send_message(json.dumps(message))
        self._follow(JobSeen(job_id_for_message(sent.id), "query", time.monotonic()))

    def _submit(self, kind: str, method: str, path: str, **kwargs: Any) -> None:
        submitted = self.api.patient(method, path, (202,), **kwargs)
        self._follow(JobSeen(submitted["job_id"], kind, time.monotonic()))

    def _follow(self, job: JobSeen) -> None:
        self.jobs[job.job_id] = job
        follower = StreamFollower(self.api, job.job_id, self._deadline)
        self.followers.append(follower)
        follower.start()

    def _drive(self) -> None:
        """Run each batch once its staging completed."""
        runs = {"staging": (self.batch_id, "batch run", {})}
        if self.economy_documents:
            runs["economy staging"] = (self.economy_batch_id, "economy run", {"mode": "economy"})
        while runs and time.monotonic() < self._deadline:
            for job in list(self.jobs.values()):
                if job.kind in runs and job.status == "completed":
                    batch_id, kind, body = runs.pop(job.kind)
                    self._submit(kind, "POST", f"/api/batches/{batch_id}/run", json=body)
                elif job.kind in runs and job.status in TERMINAL:
                    runs.pop(job.kind)  # staging failed: the run is never submitted (the test will say so)
            time.sleep(0.3)

    def model_calls(self) -> int:
        return sum(1 for e in self.world.model_proxy.snapshot() if e.path.endswith("/chat/completions"))

    def expected_model_calls(self) -> int:
        return self.size.contracts + self.size.records + 3

    def wait_for_model_calls(self, share: float, timeout: float = 300) -> None:
        """Until `share` of the run's model calls have been made: the moment to break something mid-run."""
        wanted = int(self.expected_model_calls() * share)
        deadline = time.monotonic() + timeout
        while self.model_calls() < wanted:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.model_calls()} of {wanted} model calls after {timeout} s")
            time.sleep(0.1)

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
            time.sleep(0.3)

    def remote_batch_status(self) -> str | None:
        """The economy batch's remote batch status as the API shows it (None: none yet, or no answer)."""
        reply = self.api.call("GET", f"/api/batches/{self.economy_batch_id}")
        if reply is None or reply.status_code != 200:
            return None
        remote = reply.json().get("remote_batches") or []
        return str(remote[0]["status"]) if remote else None

    def all_ended(self) -> bool:
        by_kind = {job.kind: job for job in self.jobs.values()}
        wanted = {"staging", "comparison", "query", "batch run"}
        if self.economy_documents:
            wanted |= {"economy staging", "economy run"}
        for staging, batch_run in (("staging", "batch run"), ("economy staging", "economy run")):
            if staging in by_kind and by_kind[staging].status in ("failed", "cancelled"):
                wanted.discard(batch_run)  # never submitted: the figures say why
        return wanted <= set(by_kind) and all(job.ended is not None for job in self.jobs.values())

    def wait(self) -> None:
        while not self.all_ended() and time.monotonic() < self._deadline:
            time.sleep(0.2)

    # --- after --------------------------------------------------------------------------------------------------

    def finish(self) -> Figures:
        """Wait for the end (or the deadline), stop watching, and gather what was seen."""
        self.wait()
        ended = time.monotonic()
        if self._probe is not None:
            self._probe.stopped.set()
            self._probe.join(timeout=10)
        for follower in self.followers:
            follower.join(timeout=max(1.0, self._deadline - time.monotonic()))
        records = self._records()
        listed = self.api.patient("GET", "/api/jobs?limit=100", (200,), timeout=60)
        self.notes["jobs_created"] = len(listed["jobs"])  # more than submitted: a retried submission made a second
        failed = {job.kind: job.output for job in self.jobs.values() if job.status != "completed"}
        if failed:
            self.notes["not_completed"] = failed
        for job in self.jobs.values():  # what a failed job tells its user is an answer too
            error = (job.output or {}).get("error") if isinstance(job.output, dict) else None
            leaked = INTERNALS.search(json.dumps(error)) if error else None
            if leaked:
                self.api.record(f"GET /api/jobs/{job.job_id}/status (output)", 599, f"internals in {error}")
        self._keep_host_log()
        last_end = max((j.ended for j in self.jobs.values() if j.ended is not None), default=ended)
        problems = [a for a in self.api.answers if a.problem]
        statuses = Counter(str(a.status) for a in self.api.answers)
        return Figures(
            scenario="",
            size=self.size.name,
            store=self.world.store,
            jobs={job.kind: job.status for job in self.jobs.values()},
            jobs_completed=sum(1 for job in self.jobs.values() if job.status == "completed"),
            jobs_total=len(self.jobs),
            records_expected=self.size.records + 2 * self.economy_documents,
            records=records,
            ledger=account(self.world.model_proxy.snapshot(), self.kills),
            api_answers=len(self.api.answers),
            api_statuses=dict(statuses),
            api_problems=[f"{a.what}: {a.problem}" for a in problems],
            streams=len(self.followers),
            streams_ended=sum(1 for f in self.followers if f.seen.terminal is not None),
            stream_reconnects=sum(max(0, f.seen.connections - 1) for f in self.followers),
            stream_problems=[f"{f.job_id}: {p}" for f in self.followers for p in f.seen.problems],
            job_events=self._job_events(),
            recovery_s=None if self.fault_ended is None else max(0.0, last_end - self.fault_ended),
            duration_s=last_end - self.started,
            notes=self.notes,
        )

    def _keep_host_log(self) -> None:
        """The app's warnings and errors and every model call and kill, beside the figures (test-artifacts/faults/),
        for whoever reads them."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        lines = [line for line in self.world.output().splitlines() if " INFO " not in line]
        (ARTIFACTS / f"host-{self.world.root.name}.log").write_text("\n".join(lines))
        calls = [
            {
                "started": round(e.started, 3),
                "finished": None if e.finished is None else round(e.finished, 3),
                "status": e.status,
                "fault": e.fault,
                "delivered": e.delivered,
                "schema": schema_of(e.body),
                "question": question_key(e.body)[:12],
                "nonce": nonce_of(e),
            }
            for e in self.world.model_proxy.snapshot()
            if e.body is not None
        ]
        kills = [{"kill": round(k.at, 3), "stored": len(k.stored)} for k in self.kills]
        timeline = sorted(calls + kills, key=lambda row: row.get("started", row.get("kill", 0.0)) or 0.0)
        (ARTIFACTS / f"calls-{self.world.root.name}.jsonl").write_text("\n".join(json.dumps(r) for r in timeline))

    def _records(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for batch_id in self.batch_ids:
            body = self.api.patient("GET", f"/api/batches/{batch_id}/responses?limit=1000", (200,), timeout=60)
            rows = body["responses"]
            pairs = Counter((r["filename"], r["prompt_name"]) for r in rows)
            found[batch_id] = {
                "records": len(rows),
                "distinct": len({r["record_id"] for r in rows}),
                "duplicated_pairs": sum(1 for n in pairs.values() if n > 1),
                "by_status": dict(Counter(r["status"] for r in rows)),
            }
            if batch_id == getattr(self, "economy_batch_id", None):
                api = self.world.model.batch_api
                found[batch_id] |= {"remote_uploads": len(api.uploads), "remote_batches": len(api.created)}
        return found

    def _job_events(self) -> dict[str, int]:
        """Terminal job-events per job, read from Azurite itself (not through the proxy)."""
        counts: Counter[str] = Counter()
        with QueueClient.from_connection_string(self.world.azurite.direct_connection, "job-events") as queue:
            with contextlib.suppress(ResourceNotFoundError):
                for message in queue.peek_messages(max_messages=32):
                    text = str(message.content)
                    try:
                        event = json.loads(text)
                    except ValueError:
                        event = json.loads(base64.b64decode(text))
                    counts[event["job_id"]] += 1
        return {job.kind: counts[job.job_id] for job in self.jobs.values()}
