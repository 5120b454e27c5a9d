"""The web page's static-file functions (api/ui.py): what is served, with which headers, and what is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.ui import WEB_ROOT, AssetNotFound, resolve_asset
from tests.api.conftest import Api

JS = "text/javascript; charset=utf-8"


async def test_the_page_is_served_at_ui_with_a_strict_policy(api: Api) -> None:
    for path in ("/api/ui", "/api/ui/", "/api/ui/index.html"):
        reply = await api.call("GET", path, user=None)  # no identity needed for the page itself
        assert reply.status == 200, (path, reply.body[:200])
        assert reply.headers["content-type"] == "text/html; charset=utf-8"
        assert b'<script type="module" src="/api/ui/app.js">' in reply.body
        policy = reply.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/ui/app.js", JS),
        ("/api/ui/jobs-feed.js", JS),
        ("/api/ui/app.css", "text/css; charset=utf-8"),
        ("/api/ui/favicon.svg", "image/svg+xml"),
    ],
)
async def test_assets_have_their_content_type(api: Api, path: str, content_type: str) -> None:
    reply = await api.call("GET", path)
    assert reply.status == 200, reply.body[:200]
    assert reply.headers["content-type"] == content_type
    assert reply.body == (WEB_ROOT / path.removeprefix("/api/ui/")).read_bytes()
    assert reply.headers["cache-control"] == "no-cache"
    assert "content-security-policy" not in reply.headers  # the page's policy, not an asset's


async def test_a_revalidation_with_the_etag_is_a_304_without_body(api: Api) -> None:
    first = await api.call("GET", "/api/ui/app.css")
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = await api.call("GET", "/api/ui/app.css", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    assert again.headers["etag"] == etag
    other = await api.call("GET", "/api/ui/app.css", headers={"If-None-Match": '"stale"'})
    assert other.status == 200 and other.body == first.body


@pytest.mark.parametrize(
    "path",
    [
        "/api/ui/nope.js",
        "/api/ui/../function_app.py",
        "/api/ui/../api/ui.py",
        "/api/ui/..%2Ffunction_app.py",
        "/api/ui/%2e%2e/function_app.py",
        "/api/ui/./app.js",
        "/api/ui//etc/passwd",
        "/api/ui/..\\function_app.py",
        "/api/ui/.hidden.js",
        "/api/ui/app.js.map",
        "/api/ui/app",
    ],
)
async def test_unknown_assets_and_paths_out_of_web_are_404_in_the_error_shape(api: Api, path: str) -> None:
    reply = await api.call("GET", path)
    assert reply.status == 404, (path, reply.body[:200])
    assert reply.headers["content-type"] == "application/json"
    assert reply.error_code == "asset_not_found"
    assert b"import " not in reply.body


def test_a_symlink_out_of_the_web_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "web"
    root.mkdir()
    (root / "app.js").write_text("export {};")
    secret = tmp_path / "secret.js"
    secret.write_text("the app's settings")
    (root / "leak.js").symlink_to(secret)
    (root / "sub").symlink_to(tmp_path, target_is_directory=True)
    assert resolve_asset("app.js", root) == (root / "app.js").resolve()
    for name in ("leak.js", "sub/secret.js"):
        with pytest.raises(AssetNotFound):
            resolve_asset(name, root)


def test_every_file_the_page_loads_exists_and_is_served() -> None:
    """index.html's links and every module's imports name files in web/ with a content type we serve."""
    index = (WEB_ROOT / "index.html").read_text()
    referenced = re.findall(r'(?:src|href)="/api/ui/([^"]+)"', index)
    assert {"app.js", "app.css", "favicon.svg"} <= set(referenced)
    for module in WEB_ROOT.glob("*.js"):
        referenced += re.findall(r'from "\./([^"]+)"', module.read_text())
    for name in set(referenced):
        assert resolve_asset(name) == (WEB_ROOT / name).resolve(), name


def test_the_page_never_sends_an_identity() -> None:
    """The caller comes from App Service Authentication (or DEV_USER_ID locally), never from the page."""
    for source in [*WEB_ROOT.glob("*.js"), WEB_ROOT / "index.html"]:
        text = source.read_text()
        assert "user_id" not in text, source.name
        assert "x-ms-client-principal" not in text.lower(), source.name
