"""DurableEngine: runs the orchestrators and activities of a v2 app against the SQLite store.

It owns the dispatch loop (one episode per ready instance at a time, bounded by maxConcurrentOrchestratorFunctions),
the activity tasks (bounded by maxConcurrentActivityFunctions; work left in the store at start-up runs again), and
the management operations the HTTP API calls. The pieces it composes: store, episodes, activities, client_urls,
rpc_listener, and the opt-in episode trace (trace.py, DEVHOST_EPISODE_TRACE).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp

from devhost.config import config_int, worker_threads
from devhost.durable.activities import execute_activity
from devhost.durable.api import build_api
from devhost.durable.client_urls import ClientUrls
from devhost.durable.episodes import EpisodeBuilder, context_json, parse_sdk_result, take_messages, terminate_commit
from devhost.durable.errors import EngineNotStartedError, InstanceAlreadyRunningError, UnknownOrchestratorError
from devhost.durable.invoke import durable_log, log_invocation, new_invocation_id
from devhost.durable.protocol import EventType, RuntimeStatus, event, now_iso, validate_instance_id
from devhost.durable.records import EVENT, Instance, NewInstance, OutgoingMessage, WorkItem
from devhost.durable.rpc_listener import RPC_PATH, RpcListener, close_sdk_client_session
from devhost.durable.store import Store
from devhost.durable.trace import EpisodeTrace, OrchestratorCall, timed_call
from devhost.functions import FunctionInfo


class DurableEngine:
    def __init__(
        self,
        *,
        functions: Sequence[FunctionInfo],
        state_dir: Path,
        host_config: Mapping[str, Any],
        public_base_url: str,
        system_key: str,
        worker_pool: ThreadPoolExecutor | None = None,
    ) -> None:
        self._orchestrators = {f.name: f for f in functions if f.trigger_type == "orchestrationTrigger"}
        self._activities = {f.name: f for f in functions if f.trigger_type == "activityTrigger"}
        self._state_dir = Path(state_dir)
        durable = dict((host_config.get("extensions") or {}).get("durableTask") or {})
        self.task_hub = str(durable.get("hubName") or "TestHubName")
        cores = os.cpu_count() or 1
        # Azure's defaults when host.json says nothing: 10 x the number of cores.
        # Values may be text (an `AzureFunctionsJobHost__*` override); 0 or unset means the default, as before.
        where = "extensions.durableTask"
        self.max_activities = config_int(durable, "maxConcurrentActivityFunctions", 0, where) or 10 * cores
        self.max_orchestrators = config_int(durable, "maxConcurrentOrchestratorFunctions", 0, where) or 10 * cores
        self._urls = ClientUrls(public_base_url.rstrip("/"), system_key, self.task_hub)
        self._rpc_listener = RpcListener()
        self._store: Store | None = None
        self._wake: asyncio.Event | None = None
        self._running_instances: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._queued_work: set[int] = set()
        self._activity_slots: asyncio.Semaphore | None = None
        self._orchestrator_slots: asyncio.Semaphore | None = None
        # Sync activities and orchestrators run on the Python worker's one pool of threads (the host's, shared with
        # its other functions; standalone, one of the same size), so a host.json limit above it changes nothing
        # here either.
        self._own_pool = worker_pool is None
        self._pool = worker_pool or ThreadPoolExecutor(worker_threads(os.environ), thread_name_prefix="devhost-fn")
        self._dispatcher: asyncio.Task[None] | None = None
        self._stopping = False
        self._trace: EpisodeTrace | None = None
        self.webhook_app: ASGIApp = build_api(self)

    # -- lifecycle ---------------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        if self._store is None:
            raise EngineNotStartedError("store")
        return self._store

    async def start(self) -> None:
        self._store = Store(self._state_dir / "durable.sqlite3")
        self._trace = EpisodeTrace.from_environment()
        self._wake = asyncio.Event()
        self._activity_slots = asyncio.Semaphore(self.max_activities)
        self._orchestrator_slots = asyncio.Semaphore(self.max_orchestrators)
        await self._rpc_listener.start(self.webhook_app)
        # Activities that were scheduled or running when the process died run again (at-least-once).
        for item in self.store.all_work():
            self._submit_work(item)
        self._dispatcher = asyncio.create_task(self._dispatch_loop())

    async def stop(self) -> None:
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        # Give running episodes and activities a moment to commit; the rest re-run on the next start.
        if self._tasks:
            _, pending = await asyncio.wait(list(self._tasks), timeout=2.0)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        await self._rpc_listener.stop()
        if self._own_pool:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._trace is not None:
            self._trace.close()
            self._trace = None
        await close_sdk_client_session()

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- client binding ----------------------------------------------------------------------------------
    @property
    def rpc_port(self) -> int | None:
        return self._rpc_listener.port

    def rpc_base_url(self) -> str:
        if self.rpc_port is None:
            raise EngineNotStartedError("client_binding")
        return f"http://127.0.0.1:{self.rpc_port}{RPC_PATH}/"

    def client_binding(self, task_hub: str | None = None, connection: str | None = None) -> str:
        return self._urls.binding(self.rpc_base_url(), task_hub, connection)

    def management_urls(
        self, instance_id: str, task_hub: str | None = None, connection: str | None = None
    ) -> dict[str, str]:
        return self._urls.management(instance_id, task_hub, connection)

    def _binding_for(self, binding: dict[str, Any]) -> str:
        return self.client_binding(binding.get("taskHub"), binding.get("connectionName"))

    # -- orchestrations ----------------------------------------------------------------------------------
    async def _dispatch_loop(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            self._wake.clear()
            now = time.time()
            for instance_id in self.store.ready_instances(now):
                if instance_id not in self._running_instances:
                    # One episode per instance at a time: episodes of an instance never overlap.
                    self._running_instances.add(instance_id)
                    self._spawn(self._run_episode(instance_id))
            next_at = self.store.next_visible_at(now)
            timeout = 1.0 if next_at is None else min(1.0, max(0.0, next_at - time.time()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _run_episode(self, instance_id: str) -> None:
        assert self._orchestrator_slots is not None
        try:
            async with self._orchestrator_slots:
                await self._episode(instance_id)
        except Exception:
            durable_log.exception("Orchestrator episode of instance %s failed inside devhost", instance_id)
            await asyncio.sleep(1.0)  # do not spin on a persistent engine error
        finally:
            self._running_instances.discard(instance_id)
            self.wake()

    async def _episode(self, instance_id: str) -> None:
        started = time.perf_counter()
        store = self.store
        messages = store.messages(instance_id, time.time())
        instance = store.get_instance(instance_id)
        if instance is None or instance.status in RuntimeStatus.TERMINAL:
            store.delete_messages([m.id for m in messages])
            return
        now = now_iso()
        intake = take_messages(instance, messages, now)
        if intake.terminate_reason is not None:
            store.commit_episode(terminate_commit(instance, intake, now))
            return
        if not intake.events:
            store.update_instance(
                instance_id, intake.consumed, intake.control_history, status=intake.status, last_updated_time=now
            )
            return
        history = store.history(instance_id)
        new_events = [event(EventType.ORCHESTRATOR_STARTED, now), *intake.events]
        info = self._orchestrators.get(instance.name)
        builder = EpisodeBuilder(instance, intake, history, new_events, now, self._orchestrators)
        call: OrchestratorCall | None = None
        if info is None:
            commit = builder.fail(
                f"The function '{instance.name}' doesn't exist or is not an orchestrator function.", None
            )
        else:
            call = await self._call_orchestrator(info, instance, history, new_events)
            commit = builder.build(call.result)
        for item in store.commit_episode(commit):
            self._submit_work(item)
        if call is not None and self._trace is not None:
            self._trace.write(call.record(instance, (time.perf_counter() - started) * 1000))

    async def _call_orchestrator(
        self, info: FunctionInfo, instance: Instance, history: list[dict[str, Any]], new_events: list[dict[str, Any]]
    ) -> OrchestratorCall:
        payload = context_json(instance, history, new_events)
        invocation_id = new_invocation_id()
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        call = await loop.run_in_executor(self._pool, timed_call(info.func, payload))
        if call.raised is not None:
            result = parse_sdk_result(None, call.raised)
            log_invocation(info.name, invocation_id, instance.instance_id, started, result.error)
        else:
            log_invocation(info.name, invocation_id, instance.instance_id, started, None)
            result = parse_sdk_result(call.returned, None)
        return OrchestratorCall(result, call, len(history) + len(new_events), len(payload))  # ASCII JSON

    # -- activities --------------------------------------------------------------------------------------
    def _submit_work(self, item: WorkItem) -> None:
        if item.id in self._queued_work:
            return
        self._queued_work.add(item.id)
        self._spawn(self._run_activity(item))

    async def _run_activity(self, item: WorkItem) -> None:
        assert self._activity_slots is not None
        try:
            async with self._activity_slots:
                info = self._activities.get(item.name)
                result = await execute_activity(info, item, self._binding_for, self._pool)
                if self.store.complete_work(item, result):
                    self.wake()
        finally:
            self._queued_work.discard(item.id)

    # -- management operations (used by the HTTP API) ----------------------------------------------------
    def start_instance(self, name: str, instance_id: str | None, input_text: str | None) -> str:
        if name not in self._orchestrators:
            raise UnknownOrchestratorError(name)
        instance_id = uuid.uuid4().hex if instance_id is None else instance_id
        validate_instance_id(instance_id)
        now = now_iso()
        execution_id = uuid.uuid4().hex
        started = event(EventType.EXECUTION_STARTED, now, Name=name, Version="", Input=input_text)
        if not self.store.create_instance(NewInstance(instance_id, name, execution_id, input_text, now, started)):
            raise InstanceAlreadyRunningError(instance_id)
        self.wake()
        return instance_id

    def send_control(self, instance_id: str, kind: str, payload: dict[str, Any]) -> str:
        """Queue a control message or an event. Returns "accepted", "gone" (terminal) or "missing"."""
        instance = self.store.get_instance(instance_id)
        if instance is None:
            return "missing"
        if instance.status in RuntimeStatus.TERMINAL:
            return "gone"
        self.store.send(OutgoingMessage(instance_id, None, kind, payload))
        self.wake()
        return "accepted"

    def raise_event(self, instance_id: str, name: str, input_text: str | None) -> str:
        raised = event(EventType.EVENT_RAISED, now_iso(), Name=name, Input=input_text)
        return self.send_control(instance_id, EVENT, raised)

    def purge(self, instance_id: str) -> bool:
        return self.store.purge(instance_id)
