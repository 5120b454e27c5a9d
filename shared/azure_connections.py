"""Storage connections the Functions way: a connection string (Azurite locally, `UseDevelopmentStorage=true`), or,
in Azure, an identity-based connection spread over `<name>__...` settings with no secret in any of them:

    AzureWebJobsStorage__blobServiceUri   https://<account>.blob.core.windows.net/   (or __accountName: <account>)
    AzureWebJobsStorage__queueServiceUri  https://<account>.queue.core.windows.net/
    AzureWebJobsStorage__credential       managedidentity
    AzureWebJobsStorage__clientId         <client id of the user-assigned identity>

The host reads the same settings for its queue triggers and Durable's task hub; the app builds its own Blob
(uploaded documents, shared/documents/blobs.py) and Queue (job-events, shared/jobs/events.py) clients from them.
A connection string wins when both are set (a local run keeps working whatever else is in the environment).

Retries (shared/storage/unavailable.py has the levels): the Storage SDK's own, in the request, set here rather than
left at its default (an exponential policy whose first wait is 15 s, then 18 s and 24 s: a single reset connection
would hold an upload a user waits on for 15 s). Ours: three more tries about 1 s, 3 s and 5 s apart (with up to 1 s
of jitter), for connection failures, timeouts, 408, 429 and 5xx; short timeouts, so a server that never answers
is given up on in seconds. A blob upload is an overwrite of the same bytes, so trying it again is harmless; a
job-events message sent again after a lost answer is a duplicate, which its consumers accept. What outlasts the
retries is the caller's to handle: a 503 at the API, a job's activity tried again on a durable timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure.storage.blob import BlobServiceClient
from azure.storage.blob import ExponentialRetry as BlobRetry
from azure.storage.queue import ExponentialRetry as QueueRetry
from azure.storage.queue import QueueServiceClient

from shared.azure_credential import azure_credential
from shared.settings import Settings

MANAGED_IDENTITY = "managedidentity"

RETRY_TOTAL = 3
RETRY_FIRST_S = 1
RETRY_BASE = 2  # waits: first, first + base, first + base**2 (1 s, 3 s, 5 s)
RETRY_JITTER_S = 1
CONNECTION_TIMEOUT_S = 10
READ_TIMEOUT_S = 30


def _retry_options(policy: type[BlobRetry] | type[QueueRetry]) -> dict[str, Any]:
    """The Storage SDK keywords that set its retries and timeouts (the module docstring says why)."""
    retry = policy(
        initial_backoff=RETRY_FIRST_S,
        increment_base=RETRY_BASE,
        retry_total=RETRY_TOTAL,
        random_jitter_range=RETRY_JITTER_S,
    )
    return {"retry_policy": retry, "connection_timeout": CONNECTION_TIMEOUT_S, "read_timeout": READ_TIMEOUT_S}


@dataclass(frozen=True)
class IdentityConnection:
    """`<name>__*` settings: service URIs and which identity; never a key."""

    name: str
    blob_service_uri: str | None = None
    queue_service_uri: str | None = None
    credential: str | None = None  # "managedidentity", or unset: DefaultAzureCredential
    client_id: str | None = None

    @classmethod
    def of(
        cls,
        name: str,
        *,
        account_name: str | None,
        blob_service_uri: str | None,
        queue_service_uri: str | None,
        credential: str | None,
        client_id: str | None,
    ) -> IdentityConnection | None:
        # __accountName is the short form: the public cloud's endpoints of that account.
        if account_name:
            blob_service_uri = blob_service_uri or f"https://{account_name}.blob.core.windows.net"
            queue_service_uri = queue_service_uri or f"https://{account_name}.queue.core.windows.net"
        if not (blob_service_uri or queue_service_uri):
            return None
        return cls(name, blob_service_uri, queue_service_uri, credential, client_id)

    def token_credential(self) -> Any:
        managed = (self.credential or "").strip().lower() == MANAGED_IDENTITY
        return azure_credential(self.client_id, managed_identity=managed)


Connection = str | IdentityConnection


class ConnectionIncomplete(ValueError):
    """An identity-based connection lacks the service this client needs (e.g. no __queueServiceUri)."""


def host_storage(settings: Settings) -> Connection | None:
    """AzureWebJobsStorage: the app's own account (job-events; documents unless DOCUMENTS_STORAGE is set)."""
    if settings.storage_connection:
        return settings.storage_connection
    return IdentityConnection.of(
        "AzureWebJobsStorage",
        account_name=settings.storage_account_name,
        blob_service_uri=settings.storage_blob_service_uri,
        queue_service_uri=settings.storage_queue_service_uri,
        credential=settings.storage_credential,
        client_id=settings.storage_client_id,
    )


def documents_storage(settings: Settings) -> Connection | None:
    """DOCUMENTS_STORAGE when set apart (either form), else AzureWebJobsStorage."""
    if settings.documents_storage:
        return settings.documents_storage
    apart = IdentityConnection.of(
        "DOCUMENTS_STORAGE",
        account_name=settings.documents_storage_account_name,
        blob_service_uri=settings.documents_storage_blob_service_uri,
        queue_service_uri=None,
        credential=settings.documents_storage_credential,
        client_id=settings.documents_storage_client_id,
    )
    return apart or host_storage(settings)


def blob_service_client(connection: Connection, **options: Any) -> BlobServiceClient:
    """`options` go to the SDK client (tests pass a transport)."""
    options = {**_retry_options(BlobRetry), **options}
    if isinstance(connection, str):
        return BlobServiceClient.from_connection_string(connection, **options)
    if not connection.blob_service_uri:
        raise ConnectionIncomplete(f"{connection.name} has no __blobServiceUri or __accountName")
    return BlobServiceClient(connection.blob_service_uri, credential=connection.token_credential(), **options)


def queue_service_client(connection: Connection, **options: Any) -> QueueServiceClient:
    options = {**_retry_options(QueueRetry), **options}
    if isinstance(connection, str):
        return QueueServiceClient.from_connection_string(connection, **options)
    if not connection.queue_service_uri:
        raise ConnectionIncomplete(f"{connection.name} has no __queueServiceUri or __accountName")
    return QueueServiceClient(connection.queue_service_uri, credential=connection.token_credential(), **options)
