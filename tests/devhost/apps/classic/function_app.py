"""Sample app for devhost tests: classic func.HttpRequest/HttpResponse functions."""

import hashlib
import json
import os
import threading

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _json(value: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(value), status_code=status, mimetype="application/json")


@app.route(route="hello/{name}", methods=["GET"])
async def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"Hello {req.route_params['name']}{req.params.get('suffix', '')}")


@app.route(route="items/{id:int}", methods=["GET"])
def item_by_id(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"kind": "by-id", "id": req.route_params["id"], "thread": threading.current_thread().name})


@app.route(route="items/new", methods=["GET"])
def item_new(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"kind": "new"})


@app.route(route="items/{slug:alpha}", methods=["GET"])
def item_by_slug(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"kind": "by-slug", "slug": req.route_params["slug"]})


@app.route(route="files/{*rest}", methods=["GET"])
def files(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"rest": req.route_params.get("rest")})


@app.route(route="opt/{id?}", methods=["GET"])
def optional(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"id": req.route_params.get("id")})


@app.route(route="echo", methods=["POST", "PUT"])
async def echo(req: func.HttpRequest) -> func.HttpResponse:
    return _json(
        {
            "method": req.method,
            "json": req.get_json(),
            "size": len(req.get_body()),
            "header": req.headers.get("x-custom"),
            "url": req.url,
        },
        status=201,
    )


@app.route(route="secret", auth_level=func.AuthLevel.FUNCTION)
def secret(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("secret")


@app.route(route="admin-only", auth_level=func.AuthLevel.ADMIN)
def admin_only(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("admin")


@app.route(route="whoami")
def whoami(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.headers.get("x-ms-client-principal-name") or "anonymous")


@app.route(route="env")
def env(req: func.HttpRequest) -> func.HttpResponse:
    names = ["FROM_SETTINGS", "OVERRIDDEN", "EMPTY_SETTING", "FUNCTIONS_WORKER_RUNTIME", "PYTHON_ENABLE_INIT_INDEXING"]
    return _json({n: os.environ.get(n) for n in names})


@app.route(route="boom")
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise ValueError("kaboom")


@app.route(route="ctx")
def with_context(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return _json({"function": context.function_name, "invocation": context.invocation_id})


@app.route(route="teapot")
def teapot(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(b"\x00\x01", status_code=418, headers={"X-Tea": "earl grey"}, mimetype="application/x-tea")


# Every body `uploads` received: a body the host refused must never show up here.
received: list[dict[str, object]] = []


@app.route(route="uploads", methods=["GET", "POST"])
def uploads(req: func.HttpRequest) -> func.HttpResponse:
    if req.method == "POST":
        body = req.get_body()
        received.append({"size": len(body), "sha256": hashlib.sha256(body).hexdigest()})
        return _json(received[-1], status=201)
    return _json(received)
