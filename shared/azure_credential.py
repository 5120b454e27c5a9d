"""The Entra ID credentials of keyless Azure clients (Cosmos DB without COSMOS_KEY, Blob and Queue Storage from
identity-based connections, Azure OpenAI without AZURE_OPENAI_API_KEY), one per kind and client id per process:
each caches its tokens, so building one per call would ask the identity endpoint every time.

- `azure_credential()`: DefaultAzureCredential. In Azure it is the managed identity named by AZURE_CLIENT_ID (the
  app's user-assigned identity; azure-identity reads that setting itself); locally, whoever `az login` /
  `azd auth login` signed in, for running against a real account.
- `azure_credential(client_id=..., managed_identity=True)`: a Functions identity-based connection with
  `<name>__credential=managedidentity` and `<name>__clientId` (shared/azure_connections.py): that identity only.

Tests install a factory (`use_credential_factory`) that returns a fake credential at the network edge.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

# (client_id, managed_identity) -> a credential
CredentialFactory = Callable[[str | None, bool], "TokenCredential"]


def default_factory(client_id: str | None, managed_identity: bool) -> TokenCredential:
    # Imported lazily: key-based and local setups never need azure-identity (it is heavy to import).
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    if managed_identity:
        return ManagedIdentityCredential(client_id=client_id) if client_id else ManagedIdentityCredential()
    if client_id:
        return DefaultAzureCredential(managed_identity_client_id=client_id)
    return DefaultAzureCredential()


_lock = threading.Lock()
_factory: CredentialFactory = default_factory
_credentials: dict[tuple[str | None, bool], TokenCredential] = {}


def azure_credential(client_id: str | None = None, *, managed_identity: bool = False) -> TokenCredential:
    """The process's credential for this identity, built on first use."""
    key = (client_id or None, managed_identity)
    with _lock:
        credential = _credentials.get(key)
        if credential is None:
            credential = _credentials[key] = _factory(key[0], managed_identity)
        return credential


def use_credential_factory(factory: CredentialFactory | None) -> None:
    """Build credentials with `factory` from now on (tests), or None for the real ones; forgets those built."""
    global _factory
    with _lock:
        _factory = factory or default_factory
        _credentials.clear()
