"""The Durable management HTTP API (the extension's HttpApiHandler routes), as a Starlette app.

Served twice: keyless on the loopback rpc listener (what `DurableOrchestrationClient` calls through
rpcBaseUrl) and under /runtime/webhooks/durabletask by the host, which checks the system key itself.

The routes call the engine through `ManagementOperations`, declared here: the engine builds this app and
satisfies that protocol, so this module does not import the engine.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devhost.durable.errors import DurableEngineError, InstanceAlreadyRunningError
from devhost.durable.protocol import EventType, RuntimeStatus, format_time, parse_time
from devhost.durable.records import RESUME, SUSPEND, TERMINATE, Instance
from devhost.durable.store import Store

CONTINUATION_HEADER = "x-ms-continuation-token"
_RUNNING = {RuntimeStatus.PENDING, RuntimeStatus.RUNNING}


class ManagementOperations(Protocol):
    """What the management routes need from the engine (DurableEngine provides it)."""

    @property
    def store(self) -> Store: ...

    def start_instance(self, name: str, instance_id: str | None, input_text: str | None) -> str: ...

    def management_urls(self, instance_id: str) -> dict[str, str]: ...

    def send_control(self, instance_id: str, kind: str, payload: dict[str, Any]) -> str: ...

    def raise_event(self, instance_id: str, name: str, input_text: str | None) -> str: ...

    def purge(self, instance_id: str) -> bool: ...


def _bool(request: Request, name: str, default: bool) -> bool:
    value = request.query_params.get(name)
    return default if value is None else value.lower() == "true"


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


async def body_as_json_text(request: Request) -> str | None:
    """The Python client JSON-encodes the JSON text of its payload: decoding once gives that text.

    A body that decodes to anything but a string (a plain JSON object from curl) is itself the payload.
    """
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        decoded = json.loads(raw)
    except ValueError:
        return json.dumps(raw.decode("utf-8", "replace"))
    if isinstance(decoded, str):
        try:
            json.loads(decoded)
        except ValueError:
            return json.dumps(decoded)
        return decoded
    return raw.decode("utf-8")


# Event type names as the extension shows them in historyEvents.
_EVENT_NAMES = {
    int(t): t.name.title().replace("_", "").replace("SubOrchestration", "SubOrchestrationInstance") for t in EventType
}


def _time_param(value: str | None) -> str | None:
    """Normalise a createdTimeFrom/To value to the stored format, so string comparison is time order."""
    return format_time(parse_time(value)) if value else None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"Message": message, "ExceptionMessage": message}, status_code=status)


def _history_view(events: list[dict[str, Any]], show_output: bool) -> list[dict[str, Any]]:
    view = []
    for e in events:
        kind = e["EventType"]
        if kind in (EventType.ORCHESTRATOR_STARTED, EventType.ORCHESTRATOR_COMPLETED):
            continue
        name = _EVENT_NAMES.get(kind, str(kind))
        item = {k: v for k, v in e.items() if k not in ("EventType", "IsPlayed")}
        if not show_output:
            item.pop("Result", None)
        view.append({"EventType": name, **item})
    return view


def build_api(engine: ManagementOperations) -> Starlette:
    def status_body(instance: Instance, show_input: bool, history: bool, history_output: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": instance.name,
            "instanceId": instance.instance_id,
            "runtimeStatus": instance.status,
            "input": _loads(instance.input) if show_input else None,
            "customStatus": _loads(instance.custom_status),
            "output": _loads(instance.output),
            "createdTime": instance.created_time,
            "lastUpdatedTime": instance.last_updated_time,
        }
        if history:
            body["historyEvents"] = _history_view(engine.store.history(instance.instance_id), history_output)
        return body

    async def start(request: Request) -> Response:
        name = request.path_params["name"]
        instance_id = request.path_params.get("instance_id")
        try:
            input_text = await body_as_json_text(request)
            instance_id = engine.start_instance(name, instance_id, input_text)
        except InstanceAlreadyRunningError as exc:
            return _error(409, str(exc))
        except DurableEngineError as exc:
            return _error(400, str(exc))
        urls = engine.management_urls(instance_id)
        return JSONResponse(urls, status_code=202, headers={"Location": urls["statusQueryGetUri"], "Retry-After": "10"})

    async def get_instance(request: Request) -> Response:
        instance = engine.store.get_instance(request.path_params["instance_id"])
        if instance is None:
            return Response(status_code=404)
        body = status_body(
            instance,
            _bool(request, "showInput", True),
            _bool(request, "showHistory", False),
            _bool(request, "showHistoryOutput", False),
        )
        if instance.status in _RUNNING:
            location = engine.management_urls(instance.instance_id)["statusQueryGetUri"]
            return JSONResponse(body, status_code=202, headers={"Location": location, "Retry-After": "10"})
        return JSONResponse(body, status_code=200)

    async def list_instances(request: Request) -> Response:
        q = request.query_params
        statuses = [s for s in (q.get("runtimeStatus") or "").split(",") if s]
        top = int(q["top"]) if q.get("top") else 0
        offset = int(request.headers.get(CONTINUATION_HEADER) or 0)
        rows = engine.store.list_instances(
            statuses,
            _time_param(q.get("createdTimeFrom")),
            _time_param(q.get("createdTimeTo")),
            q.get("instanceIdPrefix"),
            limit=top + 1 if top else -1,
            offset=offset,
        )
        headers = {}
        if top and len(rows) > top:
            rows = rows[:top]
            headers[CONTINUATION_HEADER] = str(offset + top)
        show_input = _bool(request, "showInput", False)
        return JSONResponse([status_body(r, show_input, False, False) for r in rows], headers=headers)

    def control_response(outcome: str, instance_id: str) -> Response:
        if outcome == "missing":
            return _error(404, f"No instance with ID '{instance_id}' found.")
        if outcome == "gone":
            return _error(410, f"Instance '{instance_id}' is in a terminal state.")
        return Response(status_code=202)

    async def terminate(request: Request) -> Response:
        instance_id = request.path_params["instance_id"]
        reason = request.query_params.get("reason", "")
        return control_response(engine.send_control(instance_id, TERMINATE, {"reason": reason}), instance_id)

    async def suspend(request: Request) -> Response:
        instance_id = request.path_params["instance_id"]
        reason = request.query_params.get("reason", "")
        return control_response(engine.send_control(instance_id, SUSPEND, {"reason": reason}), instance_id)

    async def resume(request: Request) -> Response:
        instance_id = request.path_params["instance_id"]
        reason = request.query_params.get("reason", "")
        return control_response(engine.send_control(instance_id, RESUME, {"reason": reason}), instance_id)

    async def raise_event(request: Request) -> Response:
        instance_id = request.path_params["instance_id"]
        input_text = await body_as_json_text(request)
        outcome = engine.raise_event(instance_id, request.path_params["event_name"], input_text)
        return control_response(outcome, instance_id)

    async def restart(request: Request) -> Response:
        instance = engine.store.get_instance(request.path_params["instance_id"])
        if instance is None:
            return _error(404, f"No instance with ID '{request.path_params['instance_id']}' found.")
        new_id = None if _bool(request, "restartWithNewInstanceId", True) else instance.instance_id
        try:
            instance_id = engine.start_instance(instance.name, new_id, instance.input)
        except InstanceAlreadyRunningError as exc:
            return _error(409, str(exc))
        urls = engine.management_urls(instance_id)
        return JSONResponse(urls, status_code=202, headers={"Location": urls["statusQueryGetUri"]})

    async def purge(request: Request) -> Response:
        if engine.purge(request.path_params["instance_id"]):
            return JSONResponse({"instancesDeleted": 1})
        return Response(status_code=404)

    routes = [
        Route("/orchestrators/{name}", start, methods=["POST"]),
        # `path` so that an id containing "/" reaches validation and gets a 400 rather than a 404.
        Route("/orchestrators/{name}/{instance_id:path}", start, methods=["POST"]),
        Route("/instances", list_instances, methods=["GET"]),
        Route("/instances/", list_instances, methods=["GET"]),
        Route("/instances/{instance_id}", get_instance, methods=["GET"]),
        Route("/instances/{instance_id}", purge, methods=["DELETE"]),
        Route("/instances/{instance_id}/terminate", terminate, methods=["POST"]),
        Route("/instances/{instance_id}/suspend", suspend, methods=["POST"]),
        Route("/instances/{instance_id}/resume", resume, methods=["POST"]),
        Route("/instances/{instance_id}/restart", restart, methods=["POST"]),
        Route("/instances/{instance_id}/raiseEvent/{event_name}", raise_event, methods=["POST"]),
    ]
    return Starlette(routes=routes)
