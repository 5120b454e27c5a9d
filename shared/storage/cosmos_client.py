"""The Cosmos DB client: with COSMOS_KEY (the emulator, the local Cosmos-compatible test server, a key-based
account) the key; without it Entra ID, the process's credential (shared/azure_credential.py: in Azure the app's
managed identity, named by AZURE_CLIENT_ID), for an account with local auth disabled and a data-plane role
assignment (infra/modules/cosmos.bicep)."""

from __future__ import annotations

from azure.cosmos import CosmosClient

from shared.azure_credential import azure_credential
from shared.settings import Settings


def cosmos_client(settings: Settings) -> CosmosClient:
    if not settings.cosmos_endpoint:
        raise ValueError("COSMOS_ENDPOINT is not set")
    credential = settings.cosmos_key or azure_credential()
    return CosmosClient(settings.cosmos_endpoint, credential=credential, connection_verify=settings.cosmos_verify_tls)
