"""Documents and folders API through direct function invocation, with the bytes in Azurite's blob service:
upload (strict base64, padding repair, type and size limits, nothing stored on bad input), folders, paging,
nested folders, ownership, delete."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient, ContainerClient

from api import documents as documents_api
from shared.documents.blobs import CONTAINER, content_type, reset_document_blobs
from shared.documents.models import DocumentText
from shared.errors import ConflictError, NotFoundError
from shared.storage.base import Repositories
from tests.api.conftest import SAMPLE_DATA, Api, Reply

pytestmark = pytest.mark.azurite

TEXT = (
    b"MUTUAL NON-DISCLOSURE AGREEMENT\n\n1. Confidential Information. Each party shall protect the other's secrets.\n"
)


@pytest.fixture(autouse=True)
def document_storage(configure: Any, azurite_connection_string: str) -> Iterator[None]:
    """The app's storage account is the session's Azurite (queues and blobs), as AzureWebJobsStorage is locally."""
    configure(storage_connection=azurite_connection_string)
    reset_document_blobs()
    yield
    reset_document_blobs()


@pytest.fixture
def container(azurite_connection_string: str) -> Iterator[ContainerClient]:
    with BlobServiceClient.from_connection_string(azurite_connection_string) as service:
        yield service.get_container_client(CONTAINER)


@pytest.fixture
def alice() -> str:
    # Azurite lives for the session: users of their own keep one test's blobs out of another's listing.
    return f"alice-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def bob() -> str:
    return f"bob-{uuid.uuid4().hex[:8]}"


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


async def post(api: Api, user: str, folder: str, filename: str, content: bytes | str) -> Reply:
    encoded = content if isinstance(content, str) else b64(content)
    body = {"folder": folder, "filename": filename, "content_base64": encoded}
    return await api.call("POST", "/api/documents", json_body=body, user=user)


async def upload(api: Api, user: str, folder: str, filename: str, content: bytes = TEXT) -> str:
    reply = await post(api, user, folder, filename, content)
    assert reply.status == 201, reply.body
    return str(reply.json["document_id"])


def blobs_of(container: ContainerClient, user: str) -> dict[str, bytes]:
    if not container.exists():
        return {}
    return {
        blob.name: container.download_blob(blob.name).readall()
        for blob in container.list_blobs(name_starts_with=f"{user}/")
    }


async def listing(api: Api, user: str, path: str, query: str = "") -> Reply:
    reply = await api.call("GET", path, user=user, query=query)
    assert reply.status == 200, reply.body
    return reply


# --- upload -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "document_format"),
    [("commercial_lease.docx", "docx"), ("nda_mutual_standard.pdf", "pdf"), ("nda_mutual_standard.md", "md")],
)
async def test_upload_puts_the_bytes_in_blob_storage_and_the_metadata_in_the_store(
    api: Api, repos: Repositories, container: ContainerClient, alice: str, filename: str, document_format: str
) -> None:
    content = (SAMPLE_DATA / filename).read_bytes()
    reply = await post(api, alice, " Vendors/Acme ", filename, content)

    assert reply.status == 201, reply.body
    created = reply.json
    document_id = created["document_id"]
    assert created == {
        "document_id": document_id,
        "folder": "Vendors/Acme",
        "filename": filename,
        "bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    assert reply.headers["location"] == f"http://localhost:7071/api/documents/{document_id}"

    name = f"{alice}/{document_id}/{filename}"
    assert blobs_of(container, alice) == {name: content}
    properties = container.get_blob_client(name).get_blob_properties()
    assert properties.metadata == {"sha256": created["sha256"]}
    assert properties.content_settings.content_type == content_type(document_format)

    stored = repos.documents.get(alice, document_id)
    assert (stored.blob_name, stored.format, stored.bytes) == (name, document_format, len(content))
    with pytest.raises(NotFoundError):  # no text yet: extraction happens when a batch stages the document
        repos.documents.get_text(alice, document_id)

    got = await api.call("GET", f"/api/documents/{document_id}", user=alice)
    assert got.status == 200
    assert got.json == {
        **created,
        "format": document_format,
        "created_at": stored.created_at.isoformat().replace("+00:00", "Z"),
    }


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda c: b64(c).rstrip("="), id="padding-missing"),
        pytest.param(lambda c: "\n".join(b64(c)[i : i + 8] for i in range(0, len(b64(c)), 8)), id="line-wrapped"),
        pytest.param(lambda c: base64.urlsafe_b64encode(c).decode().rstrip("="), id="url-safe"),
        pytest.param(lambda c: "data:text/plain;base64," + b64(c), id="data-url"),
    ],
)
async def test_badly_padded_or_wrapped_base64_is_repaired(
    api: Api, container: ContainerClient, alice: str, encode: Any
) -> None:
    content = b"Payment within 30 days.\xff\xfe>>?"  # 34 bytes: the base64 needs padding and uses + and /
    assert b64(content).endswith("=") and ("+" in b64(content) or "/" in b64(content))
    reply = await post(api, alice, "Inbox", "terms.txt", encode(content))
    assert reply.status == 201, reply.body
    assert reply.json["sha256"] == hashlib.sha256(content).hexdigest()
    assert list(blobs_of(container, alice).values()) == [content]


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("UGF5bWVudCB3aXRo*IDMwIGRheXMu", "character '*' at position 16"),
        ("UGF5bWVudCB3aXRoIDMwIGRheXMu!!", "character '!' at position 28"),
        ("UGF5bWVudCB3aXRoIDMwIGRheXMuA", "impossible length 29"),
        ("UGF5=bWVudCB3aXRo", "character '=' at position 4"),
    ],
)
async def test_garbage_base64_is_422_naming_the_position_and_stores_nothing(
    api: Api, repos: Repositories, container: ContainerClient, alice: str, encoded: str, message: str
) -> None:
    reply = await post(api, alice, "Inbox", "terms.txt", encoded)
    assert reply.status == 422, reply.body
    assert reply.error_code == "invalid_document"
    assert message in reply.json["error"]["message"]
    assert reply.json["error"]["details"] == {"field": "content_base64"}
    assert blobs_of(container, alice) == {}
    assert repos.documents.folders(alice) == []


@pytest.mark.parametrize("filename", ["contract.exe", "contract", "contract.doc", "archive.pdf.zip"])
async def test_an_unsupported_file_type_is_422_and_stores_nothing(
    api: Api, repos: Repositories, container: ContainerClient, alice: str, filename: str
) -> None:
    reply = await post(api, alice, "Inbox", filename, TEXT)
    assert reply.status == 422, reply.body
    assert reply.error_code == "unsupported_file_type"
    assert reply.json["error"]["details"]["supported"] == [".txt", ".md", ".pdf", ".docx"]
    assert blobs_of(container, alice) == {}
    assert repos.documents.folders(alice) == []


async def test_the_extension_is_case_insensitive(api: Api, repos: Repositories, alice: str) -> None:
    document_id = await upload(api, alice, "Inbox", "SCAN.PDF", b"%PDF-1.4 not really")
    assert repos.documents.get(alice, document_id).format == "pdf"


@pytest.mark.parametrize("filename", ["../escape.txt", "dir/file.txt", "dir\\file.txt", "bad\x00name.txt", "tab\t.md"])
async def test_a_filename_with_a_path_or_control_characters_is_422(
    api: Api, container: ContainerClient, alice: str, filename: str
) -> None:
    reply = await post(api, alice, "Inbox", filename, TEXT)
    assert reply.status == 422, reply.body
    assert reply.error_code == "invalid_filename"
    assert blobs_of(container, alice) == {}


@pytest.mark.parametrize("folder", ["", "a/../b", "..", "semi;colon", "a//b", "x" * 201])
async def test_an_invalid_folder_is_422(api: Api, container: ContainerClient, alice: str, folder: str) -> None:
    reply = await post(api, alice, folder, "a.txt", TEXT)
    assert reply.status == 422, reply.body
    assert reply.json["error"]["details"][0]["field"] == "folder"
    assert blobs_of(container, alice) == {}


async def test_a_document_over_the_size_limit_is_413_and_stores_nothing(
    api: Api,
    repos: Repositories,
    configure: Any,
    container: ContainerClient,
    alice: str,
    azurite_connection_string: str,
) -> None:
    configure(storage_connection=azurite_connection_string, max_contract_bytes=100)  # each configure starts afresh
    reply = await post(api, alice, "Inbox", "big.txt", b"x" * 101)
    assert reply.status == 413, reply.body
    assert reply.error_code == "payload_too_large"
    assert reply.json["error"]["details"] == {"max_bytes": 100}
    assert blobs_of(container, alice) == {}
    assert repos.documents.folders(alice) == []

    assert (await post(api, alice, "Inbox", "fits.txt", b"x" * 100)).status == 201


async def test_missing_fields_and_extra_fields_are_422(api: Api, alice: str) -> None:
    reply = await api.call("POST", "/api/documents", json_body={"folder": "Inbox", "filename": "a.txt"}, user=alice)
    assert reply.status == 422
    assert reply.json["error"]["details"][0]["field"] == "content_base64"
    body = {"folder": "Inbox", "filename": "a.txt", "content_base64": b64(TEXT), "user_id": "bob"}
    reply = await api.call("POST", "/api/documents", json_body=body, user=alice)
    assert reply.status == 422
    assert reply.json["error"]["details"][0]["field"] == "user_id"


async def test_when_the_metadata_write_fails_the_blob_is_removed(
    api: Api, repos: Repositories, container: ContainerClient, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def store_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("store unreachable")

    monkeypatch.setattr(repos.documents, "add", store_down)
    reply = await post(api, alice, "Inbox", "a.txt", TEXT)
    assert reply.status == 500
    assert reply.error_code == "internal_error"
    assert blobs_of(container, alice) == {}


async def test_without_a_storage_account_documents_are_503_and_nothing_is_stored(
    api: Api, repos: Repositories, configure: Any, alice: str
) -> None:
    configure(storage_connection=None, documents_storage=None)
    reset_document_blobs()
    reply = await post(api, alice, "Inbox", "a.txt", TEXT)
    assert reply.status == 503
    assert reply.json["error"] == {
        "code": "document_storage_not_configured",
        "message": "document storage is not configured: set DOCUMENTS_STORAGE or AzureWebJobsStorage",
        "details": None,
    }
    assert repos.documents.folders(alice) == []
    # The rest of the app does not depend on it.
    assert (await api.call("GET", "/api/folders", user=alice)).status == 200
    assert (await api.call("GET", "/api/contracts", user=alice)).status == 200


# --- folders and listing ------------------------------------------------------------------------------------------


async def test_folders_are_listed_with_their_document_counts(api: Api, alice: str, bob: str) -> None:
    for folder, filename in [("Vendors", "a.txt"), ("Vendors", "b.md"), ("Vendors/2025", "c.txt"), ("HR", "d.txt")]:
        await upload(api, alice, folder, filename)
    await upload(api, bob, "Bob only", "e.txt")

    reply = await listing(api, alice, "/api/folders")
    assert reply.json == {
        "folders": [
            {"folder": "HR", "document_count": 1},
            {"folder": "Vendors", "document_count": 2},
            {"folder": "Vendors/2025", "document_count": 1},
        ]
    }


async def test_a_folder_is_listed_page_by_page_in_filename_order(api: Api, alice: str) -> None:
    names = ["e.txt", "a.txt", "d.md", "b.pdf", "c.docx"]
    ids = {name: await upload(api, alice, "Contracts", name) for name in names}
    await upload(api, alice, "Other", "a0.txt")

    seen: list[dict[str, Any]] = []
    continuation: str | None = None
    pages = 0
    while True:
        query = "limit=2" + (f"&continuation={continuation}" if continuation else "")
        page = (await listing(api, alice, "/api/folders/Contracts/documents", query)).json
        pages += 1
        assert page["folder"] == "Contracts"
        assert len(page["documents"]) <= 2
        seen.extend(page["documents"])
        continuation = page["continuation"]
        if continuation is None:
            break
    assert pages == 3
    assert [d["filename"] for d in seen] == sorted(names)
    assert [d["document_id"] for d in seen] == [ids[n] for n in sorted(names)]
    assert all(set(d) == {"document_id", "folder", "filename", "format", "bytes", "sha256", "created_at"} for d in seen)


async def test_a_bad_limit_is_400(api: Api, alice: str) -> None:
    reply = await api.call("GET", "/api/folders/Contracts/documents", user=alice, query="limit=1000")
    assert reply.status == 400
    assert reply.error_code == "bad_request"


@pytest.mark.parametrize(
    "path",
    [
        "/api/folders/Vendors/2025 Q1/documents",
        "/api/folders/Vendors/2025%20Q1/documents",
        "/api/folders/Vendors%2F2025%20Q1/documents",
        "/api/folders/Vendors/2025 Q1/documents/",
    ],
)
async def test_nested_folders_are_addressed_by_their_whole_path(api: Api, alice: str, path: str) -> None:
    outer = await upload(api, alice, "Vendors", "outer.txt")
    inner = await upload(api, alice, "Vendors/2025 Q1", "inner.txt")
    deeper = await upload(api, alice, "Vendors/2025 Q1/Acme", "deeper.txt")

    page = (await listing(api, alice, path)).json
    assert page["folder"] == "Vendors/2025 Q1"
    assert [d["document_id"] for d in page["documents"]] == [inner]

    assert [
        d["document_id"] for d in (await listing(api, alice, "/api/folders/Vendors/documents")).json["documents"]
    ] == [outer]
    deep = (await listing(api, alice, "/api/folders/Vendors/2025 Q1/Acme/documents")).json
    assert [d["document_id"] for d in deep["documents"]] == [deeper]


async def test_a_folder_named_documents_is_listed_too(api: Api, alice: str) -> None:
    document_id = await upload(api, alice, "Vendors/documents", "a.txt")
    page = (await listing(api, alice, "/api/folders/Vendors/documents/documents")).json
    assert page["folder"] == "Vendors/documents"
    assert [d["document_id"] for d in page["documents"]] == [document_id]


async def test_an_empty_or_unknown_folder_lists_nothing(api: Api, alice: str) -> None:
    page = (await listing(api, alice, "/api/folders/Nothing here/documents")).json
    assert page == {"folder": "Nothing here", "documents": [], "continuation": None}


async def test_a_folder_path_that_is_not_a_listing_is_404_and_a_bad_folder_400(api: Api, alice: str) -> None:
    reply = await api.call("GET", "/api/folders/Vendors", user=alice)
    assert (reply.status, reply.error_code) == (404, "not_found")
    reply = await api.call("GET", "/api/folders/Ven*dors/documents", user=alice)
    assert (reply.status, reply.error_code) == (400, "bad_request")


# --- ownership and identity ---------------------------------------------------------------------------------------


async def test_another_users_document_is_404_on_get_and_delete_and_absent_from_lists(
    api: Api, repos: Repositories, container: ContainerClient, alice: str, bob: str
) -> None:
    document_id = await upload(api, alice, "Private", "secret.txt")

    for method in ("GET", "DELETE"):
        reply = await api.call(method, f"/api/documents/{document_id}", user=bob)
        assert (reply.status, reply.error_code) == (404, "not_found"), (method, reply.body)
    assert (await listing(api, bob, "/api/folders")).json == {"folders": []}
    assert (await listing(api, bob, "/api/folders/Private/documents")).json["documents"] == []

    # Bob's DELETE changed nothing.
    assert repos.documents.get(alice, document_id).filename == "secret.txt"
    assert list(blobs_of(container, alice)) == [f"{alice}/{document_id}/secret.txt"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/documents"),
        ("GET", "/api/documents/doc_x"),
        ("DELETE", "/api/documents/doc_x"),
        ("GET", "/api/folders"),
        ("GET", "/api/folders/Inbox/documents"),
    ],
)
async def test_no_principal_is_401(api: Api, method: str, path: str) -> None:
    body = {"folder": "Inbox", "filename": "a.txt", "content_base64": b64(TEXT)} if method == "POST" else None
    reply = await api.call(method, path, json_body=body, user=None)
    assert reply.status == 401
    assert reply.error_code == "unauthenticated"


async def test_unknown_document_is_404(api: Api, alice: str) -> None:
    for method in ("GET", "DELETE"):
        reply = await api.call(method, "/api/documents/doc_missing", user=alice)
        assert (reply.status, reply.error_code) == (404, "not_found")


# --- delete -------------------------------------------------------------------------------------------------------


async def test_delete_removes_the_blob_the_metadata_and_the_extracted_text(
    api: Api, repos: Repositories, container: ContainerClient, alice: str
) -> None:
    document_id = await upload(api, alice, "Inbox", "a.txt")
    kept = await upload(api, alice, "Inbox", "b.txt")
    repos.documents.put_text(
        DocumentText(document_id=document_id, user_id=alice, sha256="x", text="extracted", token_count=1)
    )

    reply = await api.call("DELETE", f"/api/documents/{document_id}", user=alice)
    assert reply.status == 204
    assert reply.body == b""

    assert list(blobs_of(container, alice)) == [f"{alice}/{kept}/b.txt"]
    with pytest.raises(NotFoundError):
        repos.documents.get(alice, document_id)
    with pytest.raises(NotFoundError):
        repos.documents.get_text(alice, document_id)
    assert (await api.call("GET", f"/api/documents/{document_id}", user=alice)).status == 404
    assert (await listing(api, alice, "/api/folders")).json == {"folders": [{"folder": "Inbox", "document_count": 1}]}
    assert (await api.call("DELETE", f"/api/documents/{document_id}", user=alice)).status == 404


async def test_delete_of_a_document_whose_blob_is_already_gone_still_succeeds(
    api: Api, repos: Repositories, container: ContainerClient, alice: str
) -> None:
    document_id = await upload(api, alice, "Inbox", "a.txt")
    container.delete_blob(f"{alice}/{document_id}/a.txt")
    assert (await api.call("DELETE", f"/api/documents/{document_id}", user=alice)).status == 204
    with pytest.raises(NotFoundError):
        repos.documents.get(alice, document_id)


async def test_delete_asks_whether_the_document_is_in_use_and_a_conflict_changes_nothing(
    api: Api, repos: Repositories, container: ContainerClient, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    document_id = await upload(api, alice, "Inbox", "a.txt")
    asked: list[tuple[str, str]] = []

    def in_use(repos_: Repositories, user_id: str, document_id_: str) -> None:
        asked.append((user_id, document_id_))
        raise ConflictError(f"document {document_id_!r} is used by a staged batch", {"batch_id": "batch_1"})

    monkeypatch.setattr(documents_api, "ensure_not_in_use", in_use)
    reply = await api.call("DELETE", f"/api/documents/{document_id}", user=alice)
    assert (reply.status, reply.error_code) == (409, "conflict")
    assert asked == [(alice, document_id)]
    assert repos.documents.get(alice, document_id).filename == "a.txt"
    assert list(blobs_of(container, alice)) == [f"{alice}/{document_id}/a.txt"]
