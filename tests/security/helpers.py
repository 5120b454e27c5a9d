"""What the security tests share: the app's short reading limits, and the batch steps an attack goes through."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tests.e2e.helpers import get_json, wait_for_job

READING_TIMEOUT_SECONDS = 3
READING_MEMORY_MB = 160
SECURITY_SETTINGS = {
    "EXTRACTION_TIMEOUT_SECONDS": str(READING_TIMEOUT_SECONDS),
    "EXTRACTION_MEMORY_MB": str(READING_MEMORY_MB),
}


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def upload_document(client: httpx.Client, folder: str, filename: str, content: bytes) -> str:
    reply = client.post("/api/documents", json={"folder": folder, "filename": filename, "content_base64": b64(content)})
    assert reply.status_code == 201, reply.text
    return str(reply.json()["document_id"])


def create_batch(client: httpx.Client, folder: str, prompts: list[dict[str, Any]]) -> str:
    reply = client.post("/api/batches", json={"name": f"Batch of {folder}", "folders": [folder], "prompts": prompts})
    assert reply.status_code == 201, reply.text
    return str(reply.json()["batch_id"])


def stage(client: httpx.Client, batch_id: str) -> dict[str, Any]:
    """reprocess-staging, which waits for the staging job: the seed's answer with the documents that failed."""
    reply = client.post(f"/api/batches/{batch_id}/reprocess-staging")
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def run_batch(client: httpx.Client, batch_id: str, timeout: float = 60) -> dict[str, Any]:
    reply = client.post(f"/api/batches/{batch_id}/run")
    assert reply.status_code == 202, reply.text
    watch = wait_for_job(client, reply.json()["statusQueryGetUri"], timeout=timeout)
    assert watch.final["status"] == "completed", watch.final
    return dict(get_json(client, f"/api/batches/{batch_id}"))


def responses(client: httpx.Client, batch_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    body = get_json(client, f"/api/batches/{batch_id}/responses?limit=1000")
    return {(r["filename"], r["prompt_name"]): r for r in body["responses"]}
