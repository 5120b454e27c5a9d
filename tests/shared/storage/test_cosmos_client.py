"""The Cosmos DB client: a key when COSMOS_KEY is set, Entra ID (the process credential) when it is not; both
against the local Cosmos-compatible server through the real azure-cosmos SDK."""

from __future__ import annotations

import uuid

import pytest
from azure.core.credentials import TokenCredential

from shared.settings import Settings
from shared.storage.cosmos_client import cosmos_client
from shared.storage.factory import build_repositories
from tests.support.credentials import FakeCredentials

pytestmark = pytest.mark.cosmos


def test_without_a_key_the_sdk_gets_the_process_credential(
    cosmos_server: tuple[str, str], fake_credentials: FakeCredentials
) -> None:
    endpoint, _ = cosmos_server
    client = cosmos_client(Settings(cosmos_endpoint=endpoint, cosmos_key=None, cosmos_verify_tls=False))

    # A real round trip: the SDK asked the credential for a token for the account and sent it.
    name = f"keyless_{uuid.uuid4().hex[:8]}"
    client.create_database(name)
    assert name in {database["id"] for database in client.list_databases()}

    credential = fake_credentials.only()
    assert isinstance(credential, TokenCredential)
    assert client.client_connection.aad_credentials is credential
    assert (credential.client_id, credential.managed_identity) == (None, False)  # DefaultAzureCredential's slot
    assert credential.scopes and all(scope.endswith("/.default") for scope in credential.scopes)
    client.delete_database(name)


def test_with_a_key_no_credential_is_built(cosmos_server: tuple[str, str], fake_credentials: FakeCredentials) -> None:
    endpoint, key = cosmos_server
    client = cosmos_client(Settings(cosmos_endpoint=endpoint, cosmos_key=key, cosmos_verify_tls=False))
    name = f"keyed_{uuid.uuid4().hex[:8]}"
    client.create_database(name)
    assert name in {database["id"] for database in client.list_databases()}
    assert client.client_connection.aad_credentials is None
    assert fake_credentials.built == {}
    client.delete_database(name)


def test_the_app_repositories_use_it(cosmos_server: tuple[str, str], fake_credentials: FakeCredentials) -> None:
    endpoint, _ = cosmos_server
    repositories = build_repositories(
        Settings(cosmos_endpoint=endpoint, cosmos_key=None, cosmos_verify_tls=False, cosmos_database="absent_db")
    )
    assert repositories is not None
    assert len(fake_credentials.built) == 1  # the repositories' client was built with the process credential
