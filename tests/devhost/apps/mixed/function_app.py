"""Sample app for devhost tests: mixes classic and streaming HTTP functions (Azure refuses this)."""

import azure.functions as func
from azurefunctions.extensions.http.fastapi import JSONResponse, Request

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="modern")
async def modern(req: Request) -> JSONResponse:
    return JSONResponse({})


@app.route(route="legacy")
def legacy(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("")
