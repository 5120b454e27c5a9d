"""The loopback listener the SDK client calls through rpcBaseUrl."""

from __future__ import annotations

import httpx

from devhost.durable import DurableEngine


async def test_rpc_listener_is_loopback_and_serves_the_same_routes(engine: DurableEngine) -> None:
    async with httpx.AsyncClient() as c:
        response = await c.get(f"{engine.rpc_base_url()}instances/none")
    assert response.status_code == 404
    assert engine.rpc_base_url().startswith("http://127.0.0.1:")
