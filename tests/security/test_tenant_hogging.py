"""Attack: one tenant holds as much of the app as it can — jobs, live-progress streams, batch records, documents —
to stall it or starve the others.

Under devhost on the OpenAI-compatible test server (whose answers are slow here, so jobs stay active), with the
default job and stream limits (MAX_ACTIVE_JOBS_PER_USER=20, MAX_STREAMS_PER_USER=10) and small batch and folder
limits (MAX_RECORDS_PER_BATCH=4, MAX_DOCUMENTS_PER_FOLDER=3, so the test uploads a handful of documents, not
thousands): the 21st job and the 11th stream are 429 with Retry-After, the 5th record and the 4th document in a folder
are 422 naming their limit; nothing is created by a refusal; another user still submits jobs and opens streams;
and another user's cheap request stays fast throughout."""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.app import RunningApp, openai_settings
from tests.e2e.helpers import submit_comparison, upload_text, wait_until
from tests.security.devhost_apps import running_app
from tests.support.bystander import Bystander
from tests.support.openai_server import OpenAITestServer, Reply

pytestmark = pytest.mark.slow

HOG, OTHER = "hog", "neighbour"
TEXT = "1. Governing Law. This Agreement is governed by the laws of Delaware.\n\n2. Term. Two years.\n"
JOBS_LIMIT, STREAMS_LIMIT = 20, 10  # the defaults
MODEL_SECONDS = 30.0  # every model answer takes this long: the hog's jobs stay active while the test runs
ANSWER_SECONDS = 2.0


@pytest.fixture(scope="module")
def slow_model() -> Iterator[OpenAITestServer]:
    server = OpenAITestServer().start()
    server.enqueue(*(Reply(delay_seconds=MODEL_SECONDS) for _ in range(200)))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, slow_model: OpenAITestServer) -> Iterator[RunningApp]:
    settings = {
        **openai_settings(slow_model, LLM_TIMEOUT_SECONDS="120"),
        "MAX_RECORDS_PER_BATCH": "4",
        "MAX_DOCUMENTS_PER_FOLDER": "3",
    }
    with running_app(tmp_path_factory.mktemp("hogging"), **settings) as running:
        yield running


def timed_post(client: httpx.Client, path: str, **kwargs: object) -> httpx.Response:
    started = time.monotonic()
    reply = client.post(path, **kwargs)  # type: ignore[arg-type]
    assert time.monotonic() - started < ANSWER_SECONDS, f"POST {path} took {time.monotonic() - started:.2f} s"
    return reply


def test_the_21st_job_is_429_while_another_user_still_submits(app: RunningApp) -> None:
    with app.client(HOG) as hog, app.client(OTHER) as other, Bystander(app.base_url) as bystander:
        standard, compared = upload_text(hog, "Standard", TEXT), upload_text(hog, "Compared", TEXT)
        body = {"request": {"standardContractId": standard, "compareContractIds": [compared]}}
        jobs = [submit_comparison(hog, standard, [compared])["job_id"] for _ in range(JOBS_LIMIT)]
        refused = timed_post(hog, "/api/jobs/comparison", json=body)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "too_many_active_jobs"
        assert refused.json()["error"]["details"]["limit"] == JOBS_LIMIT
        assert int(refused.headers["Retry-After"]) > 0
        retried = timed_post(hog, "/api/jobs/query", json={"request": {"question": "Law?", "contract_ids": [standard]}})
        assert retried.status_code == 429
        assert len(hog.get("/api/jobs?limit=100").json()["jobs"]) == JOBS_LIMIT  # nothing created by a refusal

        # The neighbour is not starved of admission.
        mine, theirs = upload_text(other, "Mine", TEXT), upload_text(other, "Theirs", TEXT)
        assert submit_comparison(other, mine, [theirs])["status"] == "queued"

        # A job of the hog's that ends frees a place.
        assert hog.post(f"/api/jobs/{jobs[0]}/cancel").status_code == 202
        assert timed_post(hog, "/api/jobs/comparison", json=body).status_code == 202
        for job_id in [*jobs[1:], *(j["job_id"] for j in hog.get("/api/jobs?status=queued,processing").json()["jobs"])]:
            hog.post(f"/api/jobs/{job_id}/cancel")
    bystander.assert_responsive()


def test_the_11th_stream_is_429_until_one_closes(app: RunningApp) -> None:
    with (
        httpx.Client(base_url=app.base_url, headers={"X-MS-CLIENT-PRINCIPAL-ID": HOG}, timeout=30) as hog,
        contextlib.ExitStack() as streams,
        Bystander(app.base_url) as bystander,
    ):
        opened = []
        for _ in range(STREAMS_LIMIT):
            stream = streams.enter_context(hog.stream("GET", "/api/jobs/stream"))
            assert stream.status_code == 200
            # Kept: an iterator dropped half-read closes its connection, and the app rightly counts that stream gone.
            chunks = stream.iter_bytes()
            next(chunks)  # it has started (retry: and the first jobs_update)
            opened.append((stream, chunks))
        started = time.monotonic()
        refused = hog.get("/api/jobs/stream")
        assert time.monotonic() - started < ANSWER_SECONDS
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "too_many_streams"
        assert refused.json()["error"]["details"]["limit"] == STREAMS_LIMIT
        assert 0 < int(refused.headers["Retry-After"]) <= 200

        with httpx.Client(base_url=app.base_url, headers={"X-MS-CLIENT-PRINCIPAL-ID": OTHER}, timeout=30) as other:
            with other.stream("GET", "/api/jobs/stream") as theirs:
                assert theirs.status_code == 200  # the neighbour's own streams are not counted against the hog's

        opened[0][0].close()  # the client goes away: its slot comes back

        def one_more_opens() -> bool:
            with hog.stream("GET", "/api/jobs/stream") as again:
                return again.status_code == 200

        wait_until(one_more_opens, timeout=10, interval=0.2, what="a stream after one closed")
    bystander.assert_responsive()


def upload(client: httpx.Client, folder: str, filename: str) -> httpx.Response:
    content = base64.b64encode(TEXT.encode()).decode()
    return timed_post(
        client, "/api/documents", json={"folder": folder, "filename": filename, "content_base64": content}
    )


def test_the_4th_document_in_a_folder_and_the_5th_record_of_a_batch_are_422(app: RunningApp) -> None:
    with app.client("hoarder") as client, Bystander(app.base_url) as bystander:
        for name in ("a.txt", "b.txt", "c.txt"):
            assert upload(client, "Full", name).status_code == 201
        refused = upload(client, "Full", "d.txt")
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "too_many_documents_in_folder" and "MAX_DOCUMENTS_PER_FOLDER=3" in error["message"]
        assert [f for f in client.get("/api/folders").json()["folders"] if f["folder"] == "Full"] == [
            {"folder": "Full", "document_count": 3}
        ]
        assert upload(client, "Other", "d.txt").status_code == 201  # another folder has room

        prompts = [{"name": "Law", "text": "Which law governs?"}, {"name": "Term", "text": "How long?"}]
        too_big = timed_post(client, "/api/batches", json={"name": "Big", "folders": ["Full"], "prompts": prompts})
        assert too_big.status_code == 422, too_big.text
        error = too_big.json()["error"]
        assert error["code"] == "too_many_batch_records" and "MAX_RECORDS_PER_BATCH=4" in error["message"]
        assert error["details"]["records"] == 6
        assert client.get("/api/batches").json()["batches"] == []
        fits = timed_post(client, "/api/batches", json={"name": "Fits", "folders": ["Full"], "prompts": prompts[:1]})
        assert fits.status_code == 201
    bystander.assert_responsive()
