"""Documents through the real app under devhost: upload a .docx and a .pdf into a nested folder, list the folders
and the folder, find the original bytes in Azurite's blob service (the app's AzureWebJobsStorage), delete one."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

import pytest
from azure.storage.blob import BlobServiceClient

from tests.e2e.app import RunningApp
from tests.e2e.helpers import SAMPLE_DATA

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

USER = "documents-e2e-user"
OTHER = "documents-e2e-other"
FOLDER = "Leases & NDAs/2025"
FILES = ("commercial_lease.docx", "nda_mutual_standard.pdf")


def test_upload_a_docx_and_a_pdf_then_list_the_folder(offline_app: RunningApp, azurite_connection_string: str) -> None:
    created: dict[str, dict[str, object]] = {}
    with offline_app.client(USER) as client:
        for filename in FILES:
            content = (SAMPLE_DATA / filename).read_bytes()
            body = {"folder": FOLDER, "filename": filename, "content_base64": base64.b64encode(content).decode()}
            reply = client.post("/api/documents", json=body)
            assert reply.status_code == 201, reply.text
            document = reply.json()
            assert document["bytes"] == len(content)
            assert document["sha256"] == hashlib.sha256(content).hexdigest()
            assert reply.headers["Location"].endswith(f"/api/documents/{document['document_id']}")
            created[filename] = document

        folders = client.get("/api/folders")
        assert folders.status_code == 200, folders.text
        assert {"folder": FOLDER, "document_count": 2} in folders.json()["folders"]

        # The folder path goes in the URL as it is, its "/" kept, the rest percent-encoded.
        listed = client.get(f"/api/folders/{quote(FOLDER)}/documents", params={"limit": 1})
        assert listed.status_code == 200, listed.text
        first = listed.json()
        assert [d["filename"] for d in first["documents"]] == ["commercial_lease.docx"]
        rest = client.get(
            f"/api/folders/{quote(FOLDER)}/documents", params={"limit": 1, "continuation": first["continuation"]}
        ).json()
        assert [(d["filename"], d["format"]) for d in rest["documents"]] == [("nda_mutual_standard.pdf", "pdf")]

        # The original bytes are in the app's storage account, under {user_id}/{document_id}/{filename}.
        with BlobServiceClient.from_connection_string(azurite_connection_string) as service:
            container = service.get_container_client("documents")
            for filename, document in created.items():
                blob = container.download_blob(f"{USER}/{document['document_id']}/{filename}")
                assert blob.readall() == (SAMPLE_DATA / filename).read_bytes()
                assert blob.properties.metadata == {"sha256": document["sha256"]}

            # Another user sees none of it and cannot delete it.
            pdf_id = created["nda_mutual_standard.pdf"]["document_id"]
            with offline_app.client(OTHER) as other:
                assert other.delete(f"/api/documents/{pdf_id}").status_code == 404
                assert other.get(f"/api/folders/{quote(FOLDER)}/documents").json()["documents"] == []

            deleted = client.delete(f"/api/documents/{pdf_id}")
            assert deleted.status_code == 204, deleted.text
            assert client.get(f"/api/documents/{pdf_id}").status_code == 404
            remaining = [b.name for b in container.list_blobs(name_starts_with=f"{USER}/")]
            assert remaining == [f"{USER}/{created['commercial_lease.docx']['document_id']}/commercial_lease.docx"]
        assert {"folder": FOLDER, "document_count": 1} in client.get("/api/folders").json()["folders"]
