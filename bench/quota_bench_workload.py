"""The workload of bench/quota_bench.py, driven through the app's HTTP API as a client would: a document batch
(sample contracts x ten prompts, staged, run at priority 3) and comparison jobs (the sample NDA standard against
its variants, at priority 9), each polled through its statusQueryGetUri. Everything is one user's (USER) unless a
`user` is given: the two-user scenario (bench/quota_bench_fair.py) floods as one user and compares as another.

Every document and every compared contract carries its own reference line, so no two share a hash and the answer
cache reuses nothing: each record and each comparison is one model call paid for.
"""

from __future__ import annotations

import base64
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.app import RunningApp
from tests.e2e.helpers import SAMPLE_DATA

USER = "quota-bench"
FOLDER = "Quota bench"
BATCH_PRIORITY = 3
URGENT_PRIORITY = 9
TERMINAL = ("completed", "failed", "cancelled")

DOCUMENT_SAMPLES = (
    "nda_mutual_standard.md",
    "nda_mutual_variant_a.md",
    "nda_mutual_variant_b.txt",
    "msa_standard.txt",
    "msa_variant_a.txt",
    "commercial_lease.txt",
    "employment_agreement.md",
)
STANDARD = "nda_mutual_standard.md"
VARIANTS = ("nda_mutual_variant_a.md", "nda_mutual_variant_b.txt")

PROMPTS: list[dict[str, Any]] = [
    {"name": "Governing law", "text": "Which law governs the agreement and which courts resolve disputes?"},
    {
        "name": "Term",
        "text": "How long does the agreement last, and does it renew automatically?",
        "scoring": {"type": "scale", "min": 1, "max": 5},
    },
    {"name": "Termination", "text": "Can a party terminate the agreement for convenience, and on what notice?"},
    {
        "name": "Liability",
        "text": "Is each party's liability capped, and are indirect or consequential damages excluded?",
        "scoring": {"type": "checks", "checks": [{"name": "cap", "regex": "liabilit"}]},
    },
    {
        "name": "Confidentiality",
        "text": "How long do confidentiality obligations last after the agreement ends?",
        "scoring": {"type": "scale", "min": 1, "max": 5},
    },
    {"name": "Payment", "text": "When are amounts payable, and is interest charged on late payment?"},
    {"name": "Assignment", "text": "May a party assign the agreement without the other party's consent?"},
    {"name": "Notices", "text": "How must notices be given, and when do they take effect?"},
    {
        "name": "Remedies",
        "text": "Does the agreement provide for injunctive relief or other specific remedies?",
        "scoring": {"type": "scale", "min": 1, "max": 5},
    },
    {"name": "Non-solicitation", "text": "Does either party promise not to solicit the other party's personnel?"},
]


def sample_text(name: str) -> str:
    return (SAMPLE_DATA / name).read_text()


SHORT_CHARACTERS = 1_500
"""A short document: a sample contract's opening up to this many characters (about 300 tokens; with a prompt's
instructions and schema about 600 sent, 800 charged with max_tokens 200: the issue's small calls)."""


def document_text(index: int, short: bool = False) -> str:
    """Document `index`: a sample contract (`short`: its opening, whole lines up to SHORT_CHARACTERS) with its own
    reference line (its own hash)."""
    text = sample_text(DOCUMENT_SAMPLES[index % len(DOCUMENT_SAMPLES)])
    if short:
        text = text[: text.rfind("\n", 0, SHORT_CHARACTERS) + 1 or SHORT_CHARACTERS]
    return f"Reference: QB-{index:05d}\n\n" + text


def upload_documents(app: RunningApp, documents: int, user: str = USER, short: bool = False) -> None:
    def one(index: int) -> None:
        body = {
            "folder": FOLDER,
            "filename": f"doc-{index:04d}.txt",
            "content_base64": base64.b64encode(document_text(index, short).encode()).decode(),
        }
        with app.client(user) as client:
            expect(client.post("/api/documents", json=body), 201, f"upload document {index}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(documents)))


def staged_batch(
    app: RunningApp, documents: int, prompts: int, timeout: float, user: str = USER, max_tokens: int | None = None
) -> str:
    """A batch of every uploaded document x the first `prompts` prompts (answers of `max_tokens`: None, the
    batch's default), staged; its id."""
    with app.client(user) as client:
        config: dict[str, Any] = {"name": "Quota bench", "folders": [FOLDER], "prompts": PROMPTS[:prompts]}
        if max_tokens is not None:
            config["model"] = {"max_tokens": max_tokens}
        batch_id = str(expect(client.post("/api/batches", json=config), 201, "create batch")["batch_id"])
        staging = expect(client.post(f"/api/batches/{batch_id}/stage"), 202, "stage batch")
    final = watch(app, {"staging": staging["statusQueryGetUri"]}, time.monotonic(), timeout, {"staging": user})
    if final["staging"].status != "completed":
        raise RuntimeError(f"staging ended {final['staging'].status}: {final['staging'].body}")
    counts = batch_counts(app, batch_id, user)
    if counts.get("QUEUED", 0) != documents * prompts:
        raise RuntimeError(f"staging made {counts} records, expected {documents * prompts}")
    return batch_id


def upload_comparison_set(app: RunningApp, tag: str, contracts: int, user: str = USER) -> tuple[str, list[str]]:
    """The standard NDA and `contracts` variants, each with its own reference line: (standard id, compared ids)."""
    with app.client(user) as client:

        def upload(title: str, text: str) -> str:
            return str(expect(client.post("/api/contracts", json={"title": title, "text": text}), 201, title)[
                "contract_id"
            ])  # fmt: skip

        standard = upload(f"Standard NDA ({tag})", sample_text(STANDARD))
        compared = [
            upload(f"NDA {tag} {i:02d}", f"Reference: {tag}-{i:02d}\n\n" + sample_text(VARIANTS[i % len(VARIANTS)]))
            for i in range(contracts)
        ]
    return standard, compared


def start_comparison(app: RunningApp, standard: str, compared: list[str], priority: int, user: str = USER) -> str:
    """POST /api/jobs/comparison; its statusQueryGetUri."""
    body = {"request": {"standardContractId": standard, "compareContractIds": compared}, "priority": priority}
    with app.client(user) as client:
        return str(expect(client.post("/api/jobs/comparison", json=body), 202, "comparison")["statusQueryGetUri"])


def start_run(app: RunningApp, batch_id: str, priority: int, user: str = USER) -> str:
    """POST /api/batches/{id}/run; its statusQueryGetUri."""
    with app.client(user) as client:
        reply = client.post(f"/api/batches/{batch_id}/run", json={"priority": priority})
        return str(expect(reply, 202, "run batch")["statusQueryGetUri"])


def batch_counts(app: RunningApp, batch_id: str, user: str = USER) -> dict[str, int]:
    with app.client(user) as client:
        return dict(expect(client.get(f"/api/batches/{batch_id}"), 200, "batch")["counts"])


@dataclass
class Finished:
    status: str
    at: float  # time.monotonic() when a poll first saw it terminal
    body: dict[str, Any]


def watch(
    app: RunningApp,
    jobs: dict[str, str],
    started: float,
    timeout: float,
    users: dict[str, str] | None = None,
    interval: float = 0.25,
) -> dict[str, Finished]:
    """Poll every job's status URL, as its user (`users` by job name; USER by default), until all are terminal (or
    `timeout` seconds after `started`: what is still running is reported as `timeout`)."""
    done: dict[str, Finished] = {}
    owners = {name: (users or {}).get(name, USER) for name in jobs}
    clients = {user: app.client(user) for user in set(owners.values())}
    try:
        while len(done) < len(jobs):
            for name, url in jobs.items():
                if name in done:
                    continue
                body = poll(clients[owners[name]], url)
                if body is not None and body["status"] in TERMINAL:
                    done[name] = Finished(str(body["status"]), time.monotonic(), body)
            if time.monotonic() - started > timeout:
                now = time.monotonic()
                return {**{name: Finished("timeout", now, {}) for name in jobs}, **done}
            time.sleep(interval)
    finally:
        for client in clients.values():
            client.close()
    return done


def poll(client: httpx.Client, url: str) -> dict[str, Any] | None:
    try:
        reply = client.get(url)
    except httpx.HTTPError:  # a busy host may be slow to answer a poll: try again next round
        return None
    if reply.status_code not in (200, 202):
        raise RuntimeError(f"GET {url}: {reply.status_code} {reply.text}")
    body: dict[str, Any] = reply.json()
    return body


def expect(reply: httpx.Response, status: int, what: str) -> dict[str, Any]:
    if reply.status_code != status:
        raise RuntimeError(f"{what}: HTTP {reply.status_code} {reply.text}")
    body: dict[str, Any] = reply.json()
    return body
