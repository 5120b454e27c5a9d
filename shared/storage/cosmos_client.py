"""The Cosmos DB client: with COSMOS_KEY (the emulator, the local Cosmos-compatible test server, a key-based
account) the key; without it Entra ID, the process's credential (shared/azure_credential.py: in Azure the app's
managed identity, named by AZURE_CLIENT_ID), for an account with local auth disabled and a data-plane role
assignment (infra/modules/cosmos.bicep).

Retries are the SDK's, in the request, and only what is safe there (shared/storage/unavailable.py has the levels):

- 429: waited out as x-ms-retry-after-ms says, up to RETRY_THROTTLE_TOTAL times and RETRY_THROTTLE_WAIT_S in all;
- 503 (and 408/5xx on reads): the SDK's own policy, one more try (one region);
- a connection that could not be made (nothing was sent): RETRY_CONNECT more tries, RETRY_BACKOFF_S apart;
- a read whose answer was cut off: RETRY_READ more tries;
- a write whose answer was cut off: not retried here (retry_write stays 0): it may have been applied, and only the
  caller knows whether doing it again is right. The ETag loops see a replace that landed as a lost race and read
  again; an activity fails and runs again (every activity is safe to run twice).

What outlasts these (an outage of more than a few seconds) fails the request: the API answers 503, a job's
activity is tried again on a durable timer (orchestrators/retry_policies.py). Timeouts are short enough that a
request to a server that never answers gives up in seconds, not the SDK's default minute.
"""

from __future__ import annotations

from typing import Any

from azure.cosmos import CosmosClient

from shared.azure_credential import azure_credential
from shared.settings import Settings

RETRY_THROTTLE_TOTAL = 9
RETRY_THROTTLE_WAIT_S = 30
RETRY_CONNECT = 3
RETRY_READ = 3
RETRY_BACKOFF_S = 1.0
CONNECTION_TIMEOUT_S = 10
READ_TIMEOUT_S = 30


def retry_options() -> dict[str, Any]:
    """The CosmosClient keywords that set its retries and timeouts (the docstring says why each)."""
    return {
        "retry_throttle_total": RETRY_THROTTLE_TOTAL,
        "retry_throttle_backoff_max": RETRY_THROTTLE_WAIT_S,
        # azure-core's connection policy: `retry_total` bounds connect + read retries together.
        "retry_total": max(RETRY_CONNECT, RETRY_READ),
        "retry_connect": RETRY_CONNECT,
        "retry_read": RETRY_READ,
        "retry_backoff_factor": RETRY_BACKOFF_S,
        "retry_backoff_max": RETRY_THROTTLE_WAIT_S,
        "connection_timeout": CONNECTION_TIMEOUT_S,
        "read_timeout": READ_TIMEOUT_S,
    }


def cosmos_client(settings: Settings) -> CosmosClient:
    if not settings.cosmos_endpoint:
        raise ValueError("COSMOS_ENDPOINT is not set")
    credential = settings.cosmos_key or azure_credential()
    return CosmosClient(
        settings.cosmos_endpoint,
        credential=credential,
        connection_verify=settings.cosmos_verify_tls,
        **retry_options(),
    )
