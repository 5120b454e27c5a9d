"""Storage connections the Functions way: a connection string (Azurite locally, `UseDevelopmentStorage=true`), or,
in Azure, an identity-based connection spread over `<name>__...` settings with no secret in any of them:

    AzureWebJobsStorage__blobServiceUri   https://<account>.blob.core.windows.net/   (or __accountName: <account>)
    AzureWebJobsStorage__queueServiceUri  https://<account>.queue.core.windows.net/
    AzureWebJobsStorage__credential       managedidentity
    AzureWebJobsStorage__clientId         <client id of the user-assigned identity>

The host reads the same settings for its queue triggers and Durable's task hub; the app builds its own Blob
(uploaded documents, shared/documents/blobs.py) and Queue (job-events, shared/jobs/events.py) clients from them.
A connection string wins when both are set (a local run keeps working whatever else is in the environment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from shared.azure_credential import azure_credential
from shared.settings import Settings

MANAGED_IDENTITY = "managedidentity"


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
    if isinstance(connection, str):
        return BlobServiceClient.from_connection_string(connection, **options)
    if not connection.blob_service_uri:
        raise ConnectionIncomplete(f"{connection.name} has no __blobServiceUri or __accountName")
    return BlobServiceClient(connection.blob_service_uri, credential=connection.token_credential(), **options)


def queue_service_client(connection: Connection, **options: Any) -> QueueServiceClient:
    if isinstance(connection, str):
        return QueueServiceClient.from_connection_string(connection, **options)
    if not connection.queue_service_uri:
        raise ConnectionIncomplete(f"{connection.name} has no __queueServiceUri or __accountName")
    return QueueServiceClient(connection.queue_service_uri, credential=connection.token_credential(), **options)
