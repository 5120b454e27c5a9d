"""The README walkthrough against any deployment, end to end: the health check, two contracts uploaded, a
comparison job submitted, its live stream followed to the end, its result read, the caller's jobs listed, and the
two contracts deleted again. Exit 0 when every step did what it should, 1 when one did not, 2 when sign-in is needed.

    python scripts/smoke.py http://127.0.0.1:7071                 # devhost (the caller is DEV_USER_ID)
    python scripts/smoke.py https://func-xxxx.azurewebsites.net --token "$(az account get-access-token \\
        --resource api://$AUTH_CLIENT_ID --query accessToken -o tsv)"   # Azure, behind App Service Authentication

The token may also come from SMOKE_TOKEN (how azd's postdeploy hook passes it). Standard library and httpx only
(httpx comes with the `openai` package), so it runs wherever the app's requirements are installed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
STANDARD = "nda_mutual_standard.md"
VARIANT = "nda_mutual_variant_a.md"
TERMINAL = {"completed", "failed", "cancelled"}
SIGN_IN_NEEDED = 2


class SmokeFailed(Exception):
    """A step did not do what the walkthrough says."""


class SignInRequired(SmokeFailed):
    """App Service Authentication answered instead of the app (no or a bad token)."""


@dataclass
class Smoke:
    client: httpx.Client
    deadline: float
    log: Any = print

    def step(self, text: str) -> None:
        self.log(f"ok  {text}")

    def call(self, method: str, path: str, *, expect: int | tuple[int, ...], **kwargs: Any) -> httpx.Response:
        reply = self.client.request(method, path, **kwargs)
        if reply.status_code in (401, 403) and reply.headers.get("www-authenticate", "").lower().startswith("bearer"):
            raise SignInRequired(f"{method} {path}: {reply.status_code}, App Service Authentication wants a token")
        if reply.status_code == 302 and "/.auth/login" in reply.headers.get("location", ""):
            raise SignInRequired(f"{method} {path}: redirected to sign-in; pass --token (or SMOKE_TOKEN)")
        wanted = (expect,) if isinstance(expect, int) else expect
        if reply.status_code not in wanted:
            raise SmokeFailed(f"{method} {path}: HTTP {reply.status_code} (wanted {wanted}): {reply.text[:500]}")
        return reply

    def upload(self, filename: str, title: str) -> str:
        content = base64.b64encode((SAMPLES / filename).read_bytes()).decode()
        body = {"title": title, "filename": filename, "content_base64": content}
        contract = self.call("POST", "contracts", json=body, expect=201).json()
        self.step(f"uploaded {filename} as {contract['contract_id']} ({len(contract.get('clauses') or [])} clauses)")
        return str(contract["contract_id"])

    def follow(self, job_id: str) -> dict[str, Any]:
        """The job's stream to its terminal event, reconnecting with Last-Event-ID when a stream ends first
        (every stream ends itself before Azure's 230 s limit)."""
        last_id: str | None = None
        updates = 0
        while time.monotonic() < self.deadline:
            headers = {"Accept": "text/event-stream", **({"Last-Event-ID": last_id} if last_id else {})}
            timeout = httpx.Timeout(30.0, read=max(1.0, min(240.0, self.deadline - time.monotonic())))
            with self.client.stream("GET", f"jobs/{job_id}/stream", headers=headers, timeout=timeout) as reply:
                if reply.status_code == 204:  # the terminal event was already sent to us
                    break
                if reply.status_code != 200:
                    reply.read()
                    self.call("GET", f"jobs/{job_id}/stream", expect=200)  # raises with the reason
                for event in sse_events(reply.iter_lines()):
                    last_id = event.get("id") or last_id
                    if event["event"] == "error":
                        raise SmokeFailed(f"the job stream reported an error: {event['data']}")
                    if event["event"] != "job_update":
                        continue
                    updates += 1
                    job = json.loads(event["data"])
                    if job.get("status") in TERMINAL:
                        self.step(f"followed the stream: {updates} updates, ended {job['status']}")
                        return dict(job)
        # The stream ended on a reconnect that had nothing newer: read the job itself.
        job = self.call("GET", f"jobs/{job_id}", expect=200).json()
        if job.get("status") not in TERMINAL:
            raise SmokeFailed(f"job {job_id} still {job.get('status')} when the time ran out")
        self.step(f"followed the stream: {updates} updates, ended {job['status']}")
        return dict(job)

    def run(self, keep: bool) -> None:
        health = self.call("GET", "jobs/health", expect=200).json()
        # The checks are shown to operators only (the app role `ops`); anyone else sees the status.
        checks = health.get("checks")
        detail = f": storage {json.dumps(checks.get('storage'))}, llm {json.dumps(checks.get('llm'))}" if checks else ""
        self.step(f"health: {health.get('status')}{detail}")
        tag = uuid.uuid4().hex[:8]
        standard = self.upload(STANDARD, f"Smoke {tag} NDA standard")
        variant = self.upload(VARIANT, f"Smoke {tag} NDA variant A")
        try:
            body = {"request": {"standardContractId": standard, "compareContractIds": [variant]}, "priority": 5}
            submitted = self.call("POST", "jobs/comparison", json=body, expect=202).json()
            job_id = submitted["job_id"]
            self.step(f"submitted comparison job {job_id} (status {submitted.get('status')})")
            job = self.follow(job_id)
            if job["status"] != "completed":
                raise SmokeFailed(f"job {job_id} ended {job['status']}: {json.dumps(job.get('error_details'))}")
            result_id = job.get("result_id") or (job.get("output") or {}).get("result_id")
            if not result_id:
                raise SmokeFailed(f"job {job_id} completed without a result_id: {json.dumps(job)[:500]}")
            stored = self.call("GET", f"results/{result_id}", expect=200).json()
            comparisons = stored["result"]["comparisons"]
            clauses = sum(len(c.get("clauses", [])) for c in comparisons)
            if not comparisons or not clauses:
                raise SmokeFailed(f"result {result_id} holds no clause findings")
            self.step(f"read result {result_id}: {len(comparisons)} comparison, {clauses} clause findings")
            jobs = self.call("GET", "jobs", expect=200).json()
            listed = [j.get("job_id") for j in jobs.get("jobs", [])]
            if job_id not in listed:
                raise SmokeFailed(f"GET /api/jobs does not list job {job_id}")
            self.step(f"listed jobs: {len(listed)} on the first page, {job_id} among them")
        finally:
            if not keep:
                for contract_id in (standard, variant):
                    self.client.request("DELETE", f"contracts/{contract_id}")
                self.step("deleted the two smoke contracts")


def sse_events(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """Server-Sent Events as {"event", "data", "id"} (comments and keep-alives skipped)."""
    event: dict[str, str] = {}
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield {"event": event.get("event", "message"), "data": "\n".join(data), "id": event.get("id", "")}
            event, data = {}, []
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            elif name in ("event", "id"):
                event[name] = value


def api_base(base_url: str) -> str:
    """The API root with a trailing slash: BASE_URL may be the app's root or its /api."""
    base = base_url.rstrip("/")
    return (base if base.endswith("/api") else base + "/api") + "/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the README walkthrough against a deployment of Contract Jobs.")
    parser.add_argument("base_url", help="the app's URL, e.g. http://127.0.0.1:7071 or https://<app>.azurewebsites.net")
    parser.add_argument("--token", default=os.environ.get("SMOKE_TOKEN") or None, help="bearer token (SMOKE_TOKEN)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for the whole walkthrough")
    parser.add_argument("--keep", action="store_true", help="keep the two uploaded contracts")
    args = parser.parse_args(argv)

    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    started = time.monotonic()
    with httpx.Client(base_url=api_base(args.base_url), headers=headers, timeout=60.0) as client:
        smoke = Smoke(client, deadline=started + args.timeout)
        try:
            smoke.run(keep=args.keep)
        except SignInRequired as exc:
            print(f"FAIL {exc}", file=sys.stderr)
            print(
                '     sign in: --token "$(az account get-access-token --resource api://<AUTH_CLIENT_ID> '
                '--query accessToken -o tsv)"',
                file=sys.stderr,
            )
            return SIGN_IN_NEEDED
        except (SmokeFailed, httpx.HTTPError, KeyError, ValueError) as exc:
            print(f"FAIL {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    print(f"smoke passed against {args.base_url} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
