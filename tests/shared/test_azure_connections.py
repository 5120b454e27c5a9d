"""Blob and Queue clients from a Functions connection: a connection string (Azurite) or identity-based settings
(`<name>__blobServiceUri` / `__queueServiceUri` / `__accountName`, `__credential`, `__clientId`). The identity
path is checked on the wire: a real SDK client sends its request through a recording transport (the network edge)
with a bearer token from the credential of the named identity."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import urllib3
from azure.core.exceptions import ResourceExistsError
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.queue import TextBase64EncodePolicy

from shared.azure_connections import (
    ConnectionIncomplete,
    IdentityConnection,
    blob_service_client,
    documents_storage,
    host_storage,
    queue_service_client,
)
from shared.documents.blobs import document_blobs, reset_document_blobs
from shared.settings import Settings, use_settings
from tests.support.credentials import FakeCredentials

BLOB = "https://stjobs.blob.core.windows.net/"
QUEUE = "https://stjobs.queue.core.windows.net/"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
STORAGE_SCOPE = "https://storage.azure.com/.default"
IDENTITY = {
    "storage_blob_service_uri": BLOB,
    "storage_queue_service_uri": QUEUE,
    "storage_credential": "managedidentity",
    "storage_client_id": CLIENT_ID,
}


class Recorder(requests.adapters.BaseAdapter):
    """Answers every request with `status` and keeps it: nothing leaves the machine."""

    def __init__(self, status: int) -> None:
        super().__init__()
        self.status = status
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.sent.append(request)
        response = requests.Response()
        response.status_code = self.status
        response.headers["x-ms-request-id"] = "recorded"
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(b""), status=self.status, preload_content=False)
        response._content = b""
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


def transport(status: int) -> tuple[RequestsTransport, Recorder]:
    recorder = Recorder(status)
    session = requests.Session()
    session.mount("https://", recorder)
    return RequestsTransport(session=session, session_owner=False), recorder


@pytest.fixture
def process_settings() -> Iterator[None]:
    yield
    use_settings(None)
    reset_document_blobs()


def test_identity_settings_make_a_blob_client_that_sends_the_identitys_token(
    fake_credentials: FakeCredentials,
) -> None:
    connection = documents_storage(Settings(**IDENTITY))
    assert isinstance(connection, IdentityConnection)
    edge, recorder = transport(404)

    client = blob_service_client(connection, transport=edge)
    assert client.get_container_client("documents").exists() is False

    [request] = recorder.sent
    assert request.url is not None and request.url.startswith(BLOB + "documents")
    credential = fake_credentials.built[(CLIENT_ID, True)]  # __credential=managedidentity with __clientId
    assert request.headers["Authorization"] == f"Bearer {credential.token}"
    assert credential.scopes == [STORAGE_SCOPE]
    assert "sig=" not in request.url  # no SAS, no key


def test_identity_settings_make_a_queue_client_that_sends_the_identitys_token(
    fake_credentials: FakeCredentials,
) -> None:
    connection = host_storage(Settings(**IDENTITY))
    assert connection is not None
    edge, recorder = transport(201)

    queue = queue_service_client(connection, transport=edge).get_queue_client(
        "job-events", message_encode_policy=TextBase64EncodePolicy()
    )
    queue.create_queue()

    [request] = recorder.sent
    assert request.method == "PUT" and request.url == QUEUE + "job-events"
    assert request.headers["Authorization"] == f"Bearer {fake_credentials.built[(CLIENT_ID, True)].token}"


def test_the_account_name_form_and_the_default_credential(fake_credentials: FakeCredentials) -> None:
    connection = host_storage(Settings(storage_account_name="stjobs"))
    assert connection == IdentityConnection(
        "AzureWebJobsStorage", "https://stjobs.blob.core.windows.net", "https://stjobs.queue.core.windows.net"
    )
    edge, recorder = transport(404)
    blob_service_client(connection, transport=edge).get_container_client("documents").exists()
    # No __credential: DefaultAzureCredential (AZURE_CLIENT_ID picks the user-assigned identity in Azure).
    assert list(fake_credentials.built) == [(None, False)]
    assert recorder.sent[0].headers["Authorization"].startswith("Bearer ")


def test_which_connection_wins() -> None:
    assert host_storage(Settings()) is None
    assert documents_storage(Settings()) is None
    # A connection string wins (a local run whatever else is set).
    assert host_storage(Settings(storage_connection="UseDevelopmentStorage=true", **IDENTITY)) == (
        "UseDevelopmentStorage=true"
    )
    # DOCUMENTS_STORAGE set apart, as an identity connection, wins over AzureWebJobsStorage.
    apart = documents_storage(
        Settings(documents_storage_blob_service_uri="https://docs.blob.core.windows.net/", **IDENTITY)
    )
    assert isinstance(apart, IdentityConnection)
    assert (apart.name, apart.blob_service_uri, apart.queue_service_uri) == (
        "DOCUMENTS_STORAGE",
        "https://docs.blob.core.windows.net/",
        None,
    )
    assert documents_storage(Settings(documents_storage="UseDevelopmentStorage=true", **IDENTITY)) == (
        "UseDevelopmentStorage=true"
    )


def test_a_connection_without_the_service_it_needs_says_so(fake_credentials: FakeCredentials) -> None:
    blob_only = documents_storage(Settings(documents_storage_blob_service_uri=BLOB))
    assert isinstance(blob_only, IdentityConnection)
    with pytest.raises(ConnectionIncomplete, match="DOCUMENTS_STORAGE has no __queueServiceUri"):
        queue_service_client(blob_only)


def test_the_app_document_store_is_built_from_identity_settings(
    fake_credentials: FakeCredentials, process_settings: None
) -> None:
    use_settings(Settings(**IDENTITY))
    reset_document_blobs()
    blobs = document_blobs()  # built, not yet used: nothing is sent
    container = blobs._container
    assert container.url == BLOB + "documents"
    assert container.credential is fake_credentials.built[(CLIENT_ID, True)]


def test_a_connection_string_still_works_against_azurite(azurite_connection_string: str) -> None:
    connection = documents_storage(Settings(storage_connection=azurite_connection_string))
    assert connection == azurite_connection_string
    client = blob_service_client(connection)
    container = client.get_container_client("keyless-fallback")
    if not container.exists():
        container.create_container()
    container.upload_blob("a.txt", b"local", overwrite=True)
    assert container.download_blob("a.txt").readall() == b"local"
    queue = queue_service_client(connection).get_queue_client("keyless-fallback")
    with contextlib.suppress(ResourceExistsError):
        queue.create_queue()
    queue.send_message("hello")
    assert [m.content for m in queue.receive_messages()] == ["hello"]
