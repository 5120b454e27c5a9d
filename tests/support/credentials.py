"""A fake Entra ID credential at the network edge: it hands out a fixed bearer token and records which scopes were
asked for, so a test sees a real SDK client send `Authorization: Bearer <token>` (or Cosmos DB's AAD header)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from shared.azure_credential import use_credential_factory


@dataclass
class FakeCredential:
    token: str = "entra-test-token"
    client_id: str | None = None
    managed_identity: bool = False
    scopes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self._lock:
            self.scopes.extend(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


@dataclass
class FakeCredentials:
    """What the process's credential factory built, by (client_id, managed_identity)."""

    built: dict[tuple[str | None, bool], FakeCredential] = field(default_factory=dict)

    def __call__(self, client_id: str | None, managed_identity: bool) -> FakeCredential:
        credential = FakeCredential(
            token=f"token-for-{client_id or 'default'}", client_id=client_id, managed_identity=managed_identity
        )
        self.built[(client_id, managed_identity)] = credential
        return credential

    def only(self) -> FakeCredential:
        [credential] = self.built.values()
        return credential


@pytest.fixture
def fake_credentials() -> Iterator[FakeCredentials]:
    """The process's credential factory builds fakes for the test's duration."""
    factory = FakeCredentials()
    use_credential_factory(factory)
    yield factory
    use_credential_factory(None)
