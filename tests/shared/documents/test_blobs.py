"""Document bytes in Blob Storage, against Azurite's blob service: put, get, delete, the container, the connection."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient, ContainerClient

from shared.documents.blobs import (
    CONTAINER,
    NOT_CONFIGURED,
    DocumentBlobMissing,
    DocumentBlobs,
    DocumentStorageNotConfigured,
    blob_name,
    content_type,
    document_blobs,
    reset_document_blobs,
)
from shared.errors import NotFoundError
from shared.settings import Settings, use_settings

pytestmark = pytest.mark.azurite

# An account nothing listens on: a client that used it would fail to connect.
UNREACHABLE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
    "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;"
)


@pytest.fixture
def service(azurite_connection_string: str) -> Iterator[BlobServiceClient]:
    with BlobServiceClient.from_connection_string(azurite_connection_string) as client:
        yield client


@pytest.fixture
def container_name(service: BlobServiceClient) -> Iterator[str]:
    """A container of this test's own, so "created once" is about this test's client only."""
    name = f"documents-{uuid.uuid4().hex[:12]}"
    yield name
    service.delete_container(name)


@pytest.fixture
def blobs(service: BlobServiceClient, container_name: str) -> DocumentBlobs:
    return DocumentBlobs(service, container_name)


@pytest.fixture
def process_settings() -> Iterator[None]:
    """Each test installs its own process settings; the blob client built from them is forgotten afterwards."""
    reset_document_blobs()
    yield
    use_settings(None)
    reset_document_blobs()


def test_blob_name_is_user_document_filename() -> None:
    assert blob_name("alice", "doc_1", "Master Services (v2).docx") == "alice/doc_1/Master Services (v2).docx"
    assert blob_name("5f1c9e2a-0b7d-4c1e-9a57-3f6d2b8e4c10", "doc_1", "a.txt").startswith("5f1c9e2a-0b7d-4c1e")


@pytest.mark.parametrize("user_id", ["a/../b", "..", "tenant/user", "100%"])
def test_an_odd_user_id_stays_one_path_segment(user_id: str) -> None:
    name = blob_name(user_id, "doc_1", "a.txt")
    first, document, filename = name.split("/")
    assert (document, filename) == ("doc_1", "a.txt")
    assert first not in (".", "..")


@pytest.mark.parametrize("filename", ["../a.txt", "dir/a.txt", "dir\\a.txt", "..", ""])
def test_a_filename_with_a_path_is_refused(filename: str) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        blob_name("alice", "doc_1", filename)


def test_put_then_get_returns_the_bytes_with_content_type_and_sha256(
    blobs: DocumentBlobs, service: BlobServiceClient, container_name: str
) -> None:
    content = b"%PDF-1.4\n" + bytes(range(256)) * 40  # binary, over one network chunk's worth of small writes
    digest = hashlib.sha256(content).hexdigest()
    name = blob_name("alice", "doc_pdf", "contract.pdf")

    blobs.put(name, content, content_type=content_type("pdf"), sha256=digest)

    assert blobs.get(name) == content
    properties = service.get_blob_client(container_name, name).get_blob_properties()
    assert properties.content_settings.content_type == "application/pdf"
    assert properties.metadata == {"sha256": digest}
    assert properties.size == len(content)


def test_content_types_by_format() -> None:
    assert content_type("txt") == "text/plain"
    assert content_type("md") == "text/markdown"
    assert content_type("docx") == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert content_type("unknown") == "application/octet-stream"


def test_put_again_overwrites(blobs: DocumentBlobs) -> None:
    # An upload retried under the same document id writes the same blob again, it does not fail.
    blobs.put("alice/doc_1/a.txt", b"first", content_type="text/plain", sha256="1")
    blobs.put("alice/doc_1/a.txt", b"second", content_type="text/plain", sha256="2")
    assert blobs.get("alice/doc_1/a.txt") == b"second"


def test_get_of_a_missing_blob_is_not_found_naming_it(blobs: DocumentBlobs) -> None:
    with pytest.raises(DocumentBlobMissing, match=re.escape("alice/doc_gone/a.txt")) as raised:
        blobs.get("alice/doc_gone/a.txt")
    assert isinstance(raised.value, NotFoundError)


def test_delete_removes_the_blob_and_a_missing_blob_is_fine(blobs: DocumentBlobs) -> None:
    blobs.put("alice/doc_1/a.txt", b"bytes", content_type="text/plain", sha256="x")
    assert blobs.delete("alice/doc_1/a.txt") is True
    with pytest.raises(DocumentBlobMissing):
        blobs.get("alice/doc_1/a.txt")
    assert blobs.delete("alice/doc_1/a.txt") is False
    assert blobs.delete("alice/never/existed.txt") is False


def test_the_container_is_created_on_first_use_and_only_once(
    blobs: DocumentBlobs, service: BlobServiceClient, container_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    creates: list[str] = []
    create = ContainerClient.create_container

    def counting(self: ContainerClient, **kwargs: Any) -> Any:
        creates.append(self.container_name)
        return create(self, **kwargs)

    monkeypatch.setattr(ContainerClient, "create_container", counting)
    assert not service.get_container_client(container_name).exists()

    # Concurrent first uses (the API calls from worker threads), then more of everything.
    with ThreadPoolExecutor(max_workers=8) as pool:
        names = [f"alice/doc_{i}/a.txt" for i in range(8)]
        list(pool.map(lambda n: blobs.put(n, n.encode(), content_type="text/plain", sha256="x"), names))
    assert [blobs.get(n) for n in names] == [n.encode() for n in names]
    assert all(blobs.delete(n) for n in names)

    assert service.get_container_client(container_name).exists()
    assert creates == [container_name]


def test_a_second_process_finds_the_container_already_there(
    blobs: DocumentBlobs, service: BlobServiceClient, container_name: str
) -> None:
    blobs.put("alice/doc_1/a.txt", b"one", content_type="text/plain", sha256="1")
    restarted = DocumentBlobs(service, container_name)  # "already exists" is not an error
    assert restarted.get("alice/doc_1/a.txt") == b"one"


def test_no_connection_configured_is_a_clear_error_only_when_used(process_settings: None) -> None:
    use_settings(Settings(storage_connection=None, documents_storage=None))
    with pytest.raises(DocumentStorageNotConfigured) as raised:
        document_blobs()
    assert (
        raised.value.message
        == NOT_CONFIGURED
        == ("document storage is not configured: set DOCUMENTS_STORAGE or AzureWebJobsStorage")
    )


def test_azure_web_jobs_storage_is_used_when_documents_storage_is_unset(
    process_settings: None, azurite_connection_string: str, service: BlobServiceClient
) -> None:
    use_settings(Settings(storage_connection=azurite_connection_string))
    blobs = document_blobs()
    assert blobs.container_name == CONTAINER
    name = f"alice/doc_{uuid.uuid4().hex}/a.txt"
    blobs.put(name, b"via AzureWebJobsStorage", content_type="text/plain", sha256="x")
    assert service.get_blob_client(CONTAINER, name).download_blob().readall() == b"via AzureWebJobsStorage"
    blobs.delete(name)


def test_documents_storage_wins_over_azure_web_jobs_storage(
    process_settings: None, azurite_connection_string: str
) -> None:
    use_settings(Settings(storage_connection=UNREACHABLE, documents_storage=azurite_connection_string))
    blobs = document_blobs()
    name = f"alice/doc_{uuid.uuid4().hex}/a.txt"
    blobs.put(name, b"set apart", content_type="text/plain", sha256="x")  # would fail to connect on UNREACHABLE
    assert blobs.get(name) == b"set apart"
    blobs.delete(name)


def test_one_client_per_process_until_reset(process_settings: None, azurite_connection_string: str) -> None:
    use_settings(Settings(storage_connection=azurite_connection_string))
    first = document_blobs()
    assert document_blobs() is first
    reset_document_blobs()
    assert document_blobs() is not first
