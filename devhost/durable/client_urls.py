"""The URLs the engine hands out: a `durableClient` binding's JSON and an instance's management URLs.

They point at the host's public webhook path (where the host checks the system key), except `rpcBaseUrl`,
the keyless loopback listener the SDK's client actually calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
INSTANCE_ID_PLACEHOLDER = "INSTANCEID"
"""Left verbatim in the binding's URL templates: the SDK replaces it with the real id."""


@dataclass(frozen=True)
class ClientUrls:
    public_base_url: str
    system_key: str
    task_hub: str

    def binding(self, rpc_base_url: str, task_hub: str | None = None, connection: str | None = None) -> str:
        """The JSON string a `durableClient` binding receives."""
        hub = task_hub or self.task_hub
        conn = connection or "Storage"
        base = f"{self.public_base_url}{WEBHOOK_PATH}"
        query = f"taskHub={quote(hub)}&connection={quote(conn)}&code={quote(self.system_key)}"
        return json.dumps(
            {
                "taskHubName": hub,
                "creationUrls": {
                    "createNewInstancePostUri": (
                        f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]?code={self.system_key}"
                    ),
                    "createAndWaitOnNewInstancePostUri": (
                        f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]"
                        f"?timeout={{timeoutInSeconds}}&pollingInterval={{intervalInSeconds}}&code={self.system_key}"
                    ),
                },
                "managementUrls": self.management(INSTANCE_ID_PLACEHOLDER, hub, conn),
                "baseUrl": base,
                "requiredQueryStringParameters": query,
                "rpcBaseUrl": rpc_base_url,
                "httpBaseUrl": "",
                "maxGrpcMessageSizeInBytes": 0,
                "grpcHttpClientTimeout": "00:01:40",
            }
        )

    def management(
        self, instance_id: str, task_hub: str | None = None, connection: str | None = None
    ) -> dict[str, str]:
        """The management URLs of one instance, in the shape of the extension's check-status response."""
        hub = quote(task_hub or self.task_hub)
        conn = quote(connection or "Storage")
        path_id = instance_id if instance_id == INSTANCE_ID_PLACEHOLDER else quote(instance_id, safe="")
        base = f"{self.public_base_url}{WEBHOOK_PATH}/instances/{path_id}"
        suffix = f"taskHub={hub}&connection={conn}&code={quote(self.system_key)}"
        return {
            "id": instance_id,
            "statusQueryGetUri": f"{base}?{suffix}",
            "sendEventPostUri": f"{base}/raiseEvent/{{eventName}}?{suffix}",
            "terminatePostUri": f"{base}/terminate?reason={{text}}&{suffix}",
            "rewindPostUri": f"{base}/rewind?reason={{text}}&{suffix}",
            "purgeHistoryDeleteUri": f"{base}?{suffix}",
            "restartPostUri": f"{base}/restart?{suffix}",
            "suspendPostUri": f"{base}/suspend?reason={{text}}&{suffix}",
            "resumePostUri": f"{base}/resume?reason={{text}}&{suffix}",
        }
