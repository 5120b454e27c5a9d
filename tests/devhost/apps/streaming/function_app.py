"""Sample app for devhost tests: the HTTP streaming extension's FastAPI types, routePrefix ""."""

import asyncio
import hashlib

import azure.functions as func
from azurefunctions.extensions.http.fastapi import JSONResponse, Request, StreamingResponse

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

# Lets the SSE test prove the first event arrives while the generator is still running.
release = asyncio.Event()
state = {"finished": False}


@app.route(route="items/{id:int}", methods=["GET"])
async def item(req: Request) -> JSONResponse:
    return JSONResponse({"path_params": dict(req.path_params), "q": req.query_params.get("q")})


@app.route(route="echo", methods=["POST"])
async def echo(req: Request) -> JSONResponse:
    return JSONResponse({"got": await req.json()}, status_code=201)


@app.route(route="plain")
def plain(req: Request) -> dict:
    return {"sync": True}


@app.route(route="events", methods=["GET"])
async def events(req: Request) -> StreamingResponse:
    release.clear()
    state["finished"] = False

    async def generate():
        yield "data: first\n\n"
        await release.wait()
        yield "data: second\n\n"
        state["finished"] = True

    return StreamingResponse(generate(), media_type="text/event-stream")


@app.route(route="release", methods=["POST"])
async def do_release(req: Request) -> JSONResponse:
    release.set()
    return JSONResponse({"released": True})


@app.route(route="finished")
async def finished(req: Request) -> JSONResponse:
    return JSONResponse(state)


# Every body `uploads` received: a body the host refused must never show up here.
received: list[dict[str, object]] = []
EARLY_LIMIT = 1000


@app.route(route="uploads", methods=["GET", "POST"])
async def uploads(req: Request) -> JSONResponse:
    if req.method == "POST":
        digest, size = hashlib.sha256(), 0
        async for chunk in req.stream():
            digest.update(chunk)
            size += len(chunk)
        received.append({"size": size, "sha256": digest.hexdigest()})
        return JSONResponse(received[-1], status_code=201)
    return JSONResponse(received)


@app.route(route="refuse-early", methods=["POST"])
async def refuse_early(req: Request) -> JSONResponse:
    """Refuses a large body by its Content-Length without reading it, as many apps do."""
    if int(req.headers.get("content-length") or 0) > EARLY_LIMIT:
        error = {"code": "payload_too_large", "message": "too large", "details": {"max_bytes": EARLY_LIMIT}}
        return JSONResponse({"error": error}, status_code=413)
    return JSONResponse({"size": len(await req.body())})
