"""End to end through the host shell: HTTP starter with a durable client -> orchestrator -> activity."""

from pathlib import Path

import httpx
import pytest

from devhost.host import DevHost
from tests.devhost.helpers import APPS, eventually

pytestmark = pytest.mark.slow


async def test_starter_orchestrator_activity_polled_via_status_query(tmp_path: Path) -> None:
    async with DevHost(APPS / "durable", tmp_path / "state", port=0, echo=lambda _: None) as host:
        async with httpx.AsyncClient(timeout=10) as client:
            denied = await client.post(f"{host.base_url}/api/start/greet_all", json=["Ada"])
            assert denied.status_code == 401
            started = await client.post(
                f"{host.base_url}/api/start/greet_all", json=["Ada", "Grace"], headers={"x-functions-key": "fk"}
            )
            assert started.status_code == 202, started.text
            body = started.json()
            status_url = body["statusQueryGetUri"]
            assert status_url.startswith(f"{host.base_url}/runtime/webhooks/durabletask/instances/{body['id']}")
            assert started.headers["location"] == status_url

            async def completed() -> dict[str, object] | None:
                status = (await client.get(status_url)).json()
                return status if status["runtimeStatus"] in ("Completed", "Failed", "Terminated") else None

            final = await eventually(completed, timeout=30)
            assert final["runtimeStatus"] == "Completed"
            assert final["output"] == ["Hello Ada", "Hello Grace"]
            # The management API refuses requests without the system key.
            no_key = status_url.split("?")[0]
            assert (await client.get(no_key)).status_code == 401
