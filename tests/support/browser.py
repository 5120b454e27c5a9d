"""Real-browser tests: Playwright for Python driving Debian's Chromium (`/usr/bin/chromium`), headless.

Playwright's own browser downloads (`playwright install`) are never used: the machine has no network for them, and
the distribution's Chromium is what `scripts/install_browser.sh` installs. When Chromium (or the `playwright`
package) is missing the tests that need it are skipped with the reason, or fail under CI=true
(tests/support/prerequisites.py). `CHROMIUM_BIN` names another Chromium executable.

Use the `open_page` fixture: `session = open_page(app.base_url)` gives a `PageSession` whose page runs in a fresh
browser profile. Every JavaScript error (an uncaught exception, or `console.error`) and every failed resource load
(a 4xx/5xx answer, which Chromium reports on the console) is recorded; `session.assert_no_js_errors()` fails the
test on any of them except loads a test expects (`session.allow_failed_load(...)`). The fixture checks again when
the test ends and keeps a last screenshot under `test-artifacts/screenshots/` (git-ignored; CI keeps it as an
artifact) next to the ones a test takes with `session.screenshot(name)`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.prerequisites import require, unavailable

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_SETTING = "CHROMIUM_BIN"
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",  # tests run as root in containers, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = {"width": 1440, "height": 900}
# Chromium prints a failed load (any 4xx/5xx answer, or a refused connection) as a console error with this text.
FAILED_LOAD = "Failed to load resource"


def expect(target: Any, message: str | None = None) -> Any:
    """Playwright's auto-waiting `expect`, imported when first used: a test module that imports it from here still
    collects (and then skips or fails with the reason) on a machine without the playwright package."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target, message)


def chromium_path() -> Path:
    return Path(os.environ.get(CHROMIUM_SETTING) or DEFAULT_CHROMIUM)


@dataclass
class PageSession:
    """One page in a fresh browser profile, with everything the browser reported going wrong on it."""

    name: str
    context: BrowserContext
    page: Page
    js_errors: list[str] = field(default_factory=list)
    failed_loads: list[str] = field(default_factory=list)
    allowed_loads: list[re.Pattern[str]] = field(default_factory=list)

    def allow_failed_load(self, url_pattern: str) -> None:
        """A 4xx/5xx answer the test provokes on purpose (a regex searched in the URL)."""
        self.allowed_loads.append(re.compile(url_pattern))

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = str(message.location.get("url", ""))
        if message.text.startswith(FAILED_LOAD):
            if not any(p.search(url) for p in self.allowed_loads):
                self.failed_loads.append(f"{message.text} ({url})")
        else:
            self.js_errors.append(f"console.error: {message.text} ({url}:{message.location.get('lineNumber')})")

    def on_page_error(self, error: Exception) -> None:
        self.js_errors.append(f"uncaught: {error}")

    def screenshot(self, label: str, *, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def assert_no_js_errors(self) -> None:
        problems = self.js_errors + [f"unexpected failed load: {load}" for load in self.failed_loads]
        assert not problems, "the page reported errors:\n" + "\n".join(problems)


# Per module, not per session: two Playwright sync drivers cannot be alive at once, and a test module that re-exports
# these fixtures gets its own instance of each; module scope closes one before the next module starts the other.
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    executable = chromium_path()
    require(executable.exists(), f"Chromium is not installed ({executable} missing); run scripts/install_browser.sh")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed; pip install -r requirements-dev.txt")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def open_page(
    playwright_driver: Playwright, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., PageSession]]:
    """`open_page(base_url, principal=None, bypass_csp=False)`: a page in a new Chromium with a fresh user-data dir.
    `principal` is sent as `X-MS-CLIENT-PRINCIPAL-ID` on every request, as App Service Authentication adds it in
    Azure (the page itself sends no identity). `bypass_csp` lets a test inject a script tag of its own."""
    sessions: list[PageSession] = []
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def open_(base_url: str, *, principal: str | None = None, bypass_csp: bool = False) -> PageSession:
        options: dict[str, Any] = {}
        if bypass_csp:
            # Only to inject a test tool as a <script> (axe-core): the page's CSP refuses any script not its own.
            options["bypass_csp"] = True
        if principal is not None:
            options["extra_http_headers"] = {"X-MS-CLIENT-PRINCIPAL-ID": principal}
        context = playwright_driver.chromium.launch_persistent_context(
            str(tmp_path / f"chromium-profile-{len(sessions)}"),
            executable_path=str(chromium_path()),
            headless=True,
            args=list(CHROMIUM_ARGS),
            base_url=base_url,
            viewport=VIEWPORT,
            locale="en-US",
            **options,
        )
        page = context.pages[0] if context.pages else context.new_page()
        name = test_name if not sessions else f"{test_name}-{len(sessions)}"
        session = PageSession(name=name, context=context, page=page)
        page.on("console", session.on_console)
        page.on("pageerror", session.on_page_error)
        sessions.append(session)
        return session

    yield open_

    for session in sessions:
        # A crashed page must not hide the test's own failure.
        with contextlib.suppress(Exception):
            session.screenshot("last")
        session.context.close()
    for session in sessions:
        session.assert_no_js_errors()
