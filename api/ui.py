"""The web page (job monitor, contracts, results): static files from web/, served at /api/ui and /api/ui/{*path}.

The page is plain HTML, CSS and ES modules with no build step, so the files are served as they are in the repo.
A request names a file by a relative path whose segments are plain names (letters, digits, `.`, `_`, `-`, never
starting with a dot) with a known extension, and the resolved file must still lie inside web/: `..`, hidden files,
encoded separators and symlinks pointing out of web/ all end in the same 404 as an unknown asset.

Anonymous like every function here: the files reveal nothing, and in Azure App Service Authentication is in front
of the whole app anyway. The page itself sends no identity; the API reads the caller from EasyAuth (or DEV_USER_ID).
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response

from api.http import blocking, handle_anonymous
from shared.errors import NotFoundError

bp = df.Blueprint()

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
INDEX = "index.html"

# Explicit, not the mimetypes module: its answers depend on the machine's /etc/mime.types, and an ES module served
# as anything but JavaScript is refused by the browser.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".woff2": "font/woff2",
}

_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")
MAX_PATH_CHARS = 300

# No content-hashed file names (no build step), so a browser must revalidate every time, or a new index.html could
# run beside an old app.js after a deploy. The ETag makes the revalidation a cheap 304.
CACHE_CONTROL = "no-cache"
COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": CACHE_CONTROL}
# The page loads only its own files and talks only to its own origin (no CDN, no inline script or style).
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class AssetNotFound(NotFoundError):
    code = "asset_not_found"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def resolve_asset(relative: str, root: Path = WEB_ROOT) -> Path:
    """The file under `root` that `relative` names, or AssetNotFound (the same for a bad name and a missing file)."""
    missing = AssetNotFound(f"no such file in the web page: {relative[:MAX_PATH_CHARS]!r}", {"path": relative[:100]})
    if not relative or len(relative) > MAX_PATH_CHARS:
        raise missing
    segments = relative.split("/")
    if not all(_SEGMENT.fullmatch(segment) for segment in segments):
        raise missing
    suffix = Path(segments[-1]).suffix.lower()
    if suffix not in CONTENT_TYPES:
        raise missing
    base = root.resolve()
    candidate = base.joinpath(*segments).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        raise missing
    return candidate


def load_asset(relative: str, root: Path = WEB_ROOT) -> Asset:
    path = resolve_asset(relative, root)
    body = path.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return Asset(body=body, content_type=CONTENT_TYPES[path.suffix.lower()], etag=etag)


def _not_modified(req: Request, etag: str) -> bool:
    wanted = req.headers.get("if-none-match")
    if not wanted:
        return False
    return wanted.strip() == "*" or etag in {tag.strip().removeprefix("W/") for tag in wanted.split(",")}


async def serve(req: Request, relative: str) -> Response:
    asset = await blocking(load_asset, relative)
    headers = {**COMMON_HEADERS, "ETag": asset.etag}
    if asset.content_type.startswith("text/html"):
        headers.update(PAGE_HEADERS)
    if _not_modified(req, asset.etag):
        return Response(status_code=304, headers=headers)
    return Response(content=asset.body, status_code=200, media_type=asset.content_type, headers=headers)


@bp.route(route="ui", methods=["GET"])
async def ui_page(req: Request) -> Response:
    return await handle_anonymous(req, lambda r: serve(r, INDEX))


@bp.route(route="ui/{*path}", methods=["GET"])
async def ui_asset(req: Request) -> Response:
    # `/api/ui/` (an empty catch-all) is the page too.
    return await handle_anonymous(req, lambda r: serve(r, str(r.path_params.get("path") or INDEX)))
