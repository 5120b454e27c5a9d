"""Queue triggers against Azurite."""

import base64
import contextlib
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue.aio import QueueServiceClient

from devhost.host import DevHost
from tests.devhost.helpers import APPS, eventually

pytestmark = [pytest.mark.slow, pytest.mark.azurite]


@pytest.fixture
async def queues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, azurite_connection_string: str
) -> AsyncIterator[dict[str, str]]:
    """Fresh queue names per test (Azurite is shared by the session) and the app's settings."""
    suffix = uuid.uuid4().hex[:8]
    names = {"work": f"work-{suffix}", "text": f"text-{suffix}", "flaky": f"flaky-{suffix}"}
    monkeypatch.setenv("AzureWebJobsStorage", azurite_connection_string)
    monkeypatch.setenv("WORK_QUEUE", names["work"])
    monkeypatch.setenv("TEXT_QUEUE", names["text"])
    monkeypatch.setenv("FLAKY_QUEUE", names["flaky"])
    monkeypatch.setenv("RESULTS_DIR", str(tmp_path / "out"))
    yield names


@pytest.fixture
async def service(azurite_connection_string: str) -> AsyncIterator[QueueServiceClient]:
    async with QueueServiceClient.from_connection_string(azurite_connection_string) as client:
        yield client


def _b64(text: str) -> str:
    # The Functions host expects base64 messages by default (host.json messageEncoding).
    return base64.b64encode(text.encode()).decode()


async def _send(service: QueueServiceClient, queue: str, content: str) -> None:
    client = service.get_queue_client(queue)
    with contextlib.suppress(ResourceExistsError):
        await client.create_queue()
    await client.send_message(content)


async def _remaining(service: QueueServiceClient, queue: str) -> int:
    props = await service.get_queue_client(queue).get_queue_properties()
    return int(props.approximate_message_count)


async def test_messages_are_delivered_as_queue_messages_and_deleted(
    tmp_path: Path, queues: dict[str, str], service: QueueServiceClient
) -> None:
    async with DevHost(APPS / "queues", tmp_path / "state", port=0, echo=lambda _: None):
        await _send(service, queues["work"], _b64("hello"))
        result = tmp_path / "out" / "work-hello.json"

        async def processed() -> bool:
            return result.exists()

        await eventually(processed)
        record = json.loads(result.read_text())
        assert record["body"] == "hello" and record["dequeue_count"] == 1
        assert record["has_insertion_time"] and record["has_pop_receipt"] and record["id"]

        async def deleted() -> bool:
            return await _remaining(service, queues["work"]) == 0

        await eventually(deleted)


async def test_queue_is_created_when_missing_and_str_annotation_gets_text(
    tmp_path: Path, queues: dict[str, str], service: QueueServiceClient
) -> None:
    async with DevHost(APPS / "queues", tmp_path / "state", port=0, echo=lambda _: None):

        async def created() -> bool:
            names = [q.name async for q in service.list_queues(name_starts_with=queues["text"])]
            return queues["text"] in names

        await eventually(created)
        await service.get_queue_client(queues["text"]).send_message(_b64("ünïcode"))
        result = tmp_path / "out" / "text-ünïcode.json"

        async def processed() -> bool:
            return result.exists()

        await eventually(processed)
    assert json.loads(result.read_text()) == {"type": "str", "value": "ünïcode"}


async def test_failing_message_is_retried_then_moved_to_poison(
    tmp_path: Path, queues: dict[str, str], service: QueueServiceClient
) -> None:
    async with DevHost(APPS / "queues", tmp_path / "state", port=0, echo=lambda _: None):
        await _send(service, queues["flaky"], _b64("fail-1"))
        await _send(service, queues["flaky"], _b64("ok-1"))
        poison = service.get_queue_client(queues["flaky"] + "-poison")

        async def poisoned() -> list[str]:
            try:
                return [m.content for m in await poison.peek_messages(max_messages=5)]
            except Exception:
                return []

        contents = await eventually(poisoned)
        # Kept in the original (base64) encoding, after maxDequeueCount (3) attempts.
        assert contents == [_b64("fail-1")]
        attempts = sorted(p.name for p in (tmp_path / "out").glob("flaky-fail-1-*.json"))
        assert attempts == ["flaky-fail-1-1.json", "flaky-fail-1-2.json", "flaky-fail-1-3.json"]
        assert (tmp_path / "out" / "flaky-ok-1-1.json").exists()
        assert await _remaining(service, queues["flaky"]) == 0


async def test_message_that_is_not_base64_goes_straight_to_poison(
    tmp_path: Path, queues: dict[str, str], service: QueueServiceClient
) -> None:
    async with DevHost(APPS / "queues", tmp_path / "state", port=0, echo=lambda _: None):
        await _send(service, queues["work"], "not base64 at all!")
        poison = service.get_queue_client(queues["work"] + "-poison")

        async def poisoned() -> list[str]:
            try:
                return [m.content for m in await poison.peek_messages(max_messages=5)]
            except Exception:
                return []

        assert await eventually(poisoned) == ["not base64 at all!"]
    assert not (tmp_path / "out").exists()


async def test_listener_logs_and_skips_function_without_connection(
    tmp_path: Path, queues: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("AzureWebJobsStorage")
    async with DevHost(APPS / "queues", tmp_path / "state", port=0, echo=lambda _: None) as host:
        assert [f.name for f in host.functions] == ["work", "text", "flaky"]
    assert "The listener for function 'work' was unable to start" in caplog.text
    assert "'AzureWebJobsStorage' is not set" in caplog.text


async def test_host_json_overrides_from_settings_and_environment_take_effect(
    tmp_path: Path, queues: dict[str, str], service: QueueServiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`AzureFunctionsJobHost__*` app settings change the queue timings of host.json (2 attempts, 2 s apart)."""
    app_dir = tmp_path / "app"
    shutil.copytree(APPS / "queues", app_dir)
    prefix = "AzureFunctionsJobHost__extensions__queues__"
    (app_dir / "local.settings.json").write_text(
        json.dumps({"Values": {f"{prefix}visibilityTimeout": "00:00:02", f"{prefix}maxDequeueCount": "4"}})
    )
    monkeypatch.setenv(f"{prefix}maxDequeueCount", "2")  # the environment wins over local.settings.json
    async with DevHost(app_dir, tmp_path / "state", port=0, echo=lambda _: None):
        await _send(service, queues["flaky"], _b64("fail-1"))
        poison = service.get_queue_client(queues["flaky"] + "-poison")

        async def poisoned() -> list[str]:
            try:
                return [m.content for m in await poison.peek_messages(max_messages=5)]
            except Exception:
                return []

        assert await eventually(poisoned) == [_b64("fail-1")]
        attempts = sorted((tmp_path / "out").glob("flaky-fail-1-*.json"))
        assert [p.name for p in attempts] == ["flaky-fail-1-1.json", "flaky-fail-1-2.json"]
        # The failed message stayed invisible for the overridden visibilityTimeout before its second attempt.
        assert attempts[1].stat().st_mtime - attempts[0].stat().st_mtime >= 1.9
    assert f"{prefix}visibilityTimeout" not in os.environ  # local settings are taken back out on stop
