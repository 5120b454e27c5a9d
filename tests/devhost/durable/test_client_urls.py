"""The durableClient binding JSON and the management URLs it carries."""

from __future__ import annotations

import json

from devhost.durable import DurableEngine


def test_client_binding_shape(engine: DurableEngine) -> None:
    binding = json.loads(engine.client_binding())
    assert binding["taskHubName"] == "TestHubName"
    assert binding["rpcBaseUrl"] == f"http://127.0.0.1:{engine.rpc_port}/durabletask/"
    urls = binding["managementUrls"]
    assert urls["id"] == "INSTANCEID"
    assert urls["statusQueryGetUri"] == (
        "http://127.0.0.1:7071/runtime/webhooks/durabletask/instances/INSTANCEID"
        "?taskHub=TestHubName&connection=Storage&code=test-system-key"
    )
    assert set(urls) >= {"sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri", "suspendPostUri"}
    assert "code=test-system-key" in binding["creationUrls"]["createNewInstancePostUri"]
    assert "code=test-system-key" in binding["requiredQueryStringParameters"]
    other = json.loads(engine.client_binding("OtherHub", "MyConn"))
    assert "taskHub=OtherHub&connection=MyConn" in other["managementUrls"]["statusQueryGetUri"]
