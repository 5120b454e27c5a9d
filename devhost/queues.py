"""Queue triggers: poll an Azure Storage queue (Azurite locally) the way the Functions host does.

- messages are leased for LEASE while the function runs (and the lease is renewed), deleted on success;
- on failure the message becomes visible again after host.json `visibilityTimeout`;
- after `maxDequeueCount` failed attempts it is copied to `<queue>-poison` and deleted;
- polling backs off exponentially from MIN_POLL to `maxPollingInterval` while the queue is empty.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
from datetime import timedelta
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.functions.queue import QueueMessage as FunctionsQueueMessage
from azure.storage.queue import QueueMessage as StorageQueueMessage
from azure.storage.queue.aio import QueueClient

from devhost.config import QueueSettings
from devhost.functions import FunctionInfo
from devhost.http_kinds import trigger_annotation
from devhost.invoke import Invoker, invocation

logger = logging.getLogger("devhost.queues")

MIN_POLL = timedelta(milliseconds=100)
LEASE = timedelta(minutes=10)
POISON_SUFFIX = "-poison"


class MessageDecodeError(Exception):
    def __init__(self, queue: str, message_id: str) -> None:
        super().__init__(f"message {message_id} on queue {queue!r} is not valid base64 (messageEncoding=base64)")
        self.message_id = message_id


def decode_body(queue: str, message: StorageQueueMessage, encoding: str) -> bytes:
    content = message.content
    raw = content.encode("utf-8") if isinstance(content, str) else bytes(content or b"")
    if encoding == "none":
        return raw
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MessageDecodeError(queue, str(message.id)) from exc


def trigger_value(info: FunctionInfo, message: StorageQueueMessage, body: bytes) -> Any:
    """str / bytes / func.QueueMessage, chosen by the trigger parameter's annotation like the worker."""
    annotation = trigger_annotation(info)
    if annotation is str:
        return body.decode("utf-8")
    if annotation is bytes:
        return body
    return FunctionsQueueMessage(
        id=message.id,
        body=body,
        pop_receipt=message.pop_receipt,
        dequeue_count=message.dequeue_count,
        insertion_time=message.inserted_on,
        expiration_time=message.expires_on,
        time_next_visible=message.next_visible_on,
    )


class QueueListener:
    """Runs one queue-triggered function until cancelled."""

    def __init__(
        self, info: FunctionInfo, invoker: Invoker, settings: QueueSettings, connection_string: str, queue_name: str
    ) -> None:
        self.info = info
        self.invoker = invoker
        self.settings = settings
        self.queue_name = queue_name
        self.client = QueueClient.from_connection_string(connection_string, queue_name)
        self.poison = QueueClient.from_connection_string(connection_string, queue_name + POISON_SUFFIX)
        self._poison_ready = False

    async def close(self) -> None:
        await self.client.close()
        await self.poison.close()

    async def run(self) -> None:
        await self._ensure_queue(self.client)
        interval = MIN_POLL
        while True:
            try:
                messages = [
                    m
                    async for m in self.client.receive_messages(
                        messages_per_page=self.settings.batch_size,
                        max_messages=self.settings.batch_size,
                        visibility_timeout=int(LEASE.total_seconds()),
                    )
                ]
            except AzureError as exc:
                # Storage down or restarting: keep polling with backoff rather than dying.
                logger.warning("queue %r: receive failed: %s", self.queue_name, exc)
                messages = []
            if not messages:
                await asyncio.sleep(interval.total_seconds())
                interval = min(interval * 2, self.settings.max_polling_interval)
                continue
            interval = MIN_POLL
            await asyncio.gather(*(self._process(m) for m in messages))

    @staticmethod
    async def _ensure_queue(client: QueueClient) -> None:
        with contextlib.suppress(ResourceExistsError):
            await client.create_queue()

    async def _process(self, message: StorageQueueMessage) -> None:
        if message.dequeue_count is not None and message.dequeue_count > self.settings.max_dequeue_count:
            # Already over the limit (e.g. devhost died mid-run): poison without running again.
            await self._to_poison(message)
            return
        try:
            body = decode_body(self.queue_name, message, self.settings.message_encoding)
        except MessageDecodeError as exc:
            logger.error("%s; moving it to %s%s", exc, self.queue_name, POISON_SUFFIX)
            await self._to_poison(message)
            return
        renewal = asyncio.create_task(self._renew(message))
        try:
            async with invocation(self.info.name) as current:
                kwargs, _ = self.invoker.arguments(self.info, trigger_value(self.info, message, body), current)
                await self.invoker.call(self.info, kwargs)
        except Exception:
            logger.exception("queue function %r failed on message %s", self.info.name, message.id)
            await self._after_failure(renewal, message)
            return
        await self._stop(renewal)
        await self._quietly(self.client.delete_message(message.id, message.pop_receipt))

    async def _after_failure(self, renewal: asyncio.Task[None], message: StorageQueueMessage) -> None:
        await self._stop(renewal)
        if (message.dequeue_count or 0) >= self.settings.max_dequeue_count:
            await self._to_poison(message)
            return
        await self._quietly(
            self.client.update_message(
                message.id,
                message.pop_receipt,
                visibility_timeout=int(self.settings.visibility_timeout.total_seconds()),
            )
        )

    async def _renew(self, message: StorageQueueMessage) -> None:
        """Keep the lease while a long function runs; pop receipts change with every update."""
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 2)
            updated = await self.client.update_message(
                message.id, message.pop_receipt, visibility_timeout=int(LEASE.total_seconds())
            )
            message.pop_receipt = updated.pop_receipt

    @staticmethod
    async def _stop(task: asyncio.Task[None]) -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, AzureError):
            await task

    async def _to_poison(self, message: StorageQueueMessage) -> None:
        if not self._poison_ready:
            await self._ensure_queue(self.poison)
            self._poison_ready = True
        # Copy the raw content so the poison message keeps the original encoding.
        await self.poison.send_message(message.content)
        await self._quietly(self.client.delete_message(message.id, message.pop_receipt))
        logger.warning(
            "message %s moved to %s%s after %s attempts",
            message.id,
            self.queue_name,
            POISON_SUFFIX,
            message.dequeue_count,
        )

    async def _quietly(self, operation: Any) -> None:
        # A vanished message (deleted elsewhere, lease lost) is not an error for the host.
        try:
            await operation
        except ResourceNotFoundError:
            logger.debug("queue %r: message already gone", self.queue_name)
