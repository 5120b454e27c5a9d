"""A bystander: another user's cheap request, sent again and again in a thread and timed, while a test attacks the
app. Used by tests/security/ to show that the app kept answering everyone else meanwhile.

    with Bystander(app.base_url, "/api/contracts", user="bystander") as bystander:
        ... the attack ...
    bystander.assert_responsive()       # every answer came, as expected, each under MAX_SECONDS
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

import httpx

MAX_SECONDS = 2.0
"""The slowest a bystander's cheap request may be answered while the attack runs."""
PAUSE_SECONDS = 0.1


@dataclass
class Timed:
    status: int
    seconds: float


@dataclass
class Bystander:
    base_url: str
    path: str = "/api/contracts"
    user: str | None = "bystander"
    expect: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    answers: list[Timed] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bystander", daemon=True)

    def _run(self) -> None:
        headers = dict(self.headers)
        if self.user is not None:
            headers["X-MS-CLIENT-PRINCIPAL-ID"] = self.user
        # A new connection each time: a kept-alive one would hide a server that stopped accepting.
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                with httpx.Client(base_url=self.base_url, timeout=MAX_SECONDS * 5) as client:
                    status = client.get(self.path, headers=headers).status_code
                self.answers.append(Timed(status, time.monotonic() - started))
            except httpx.HTTPError as exc:
                self.errors.append(f"{type(exc).__name__} after {time.monotonic() - started:.2f} s")
            self._stop.wait(PAUSE_SECONDS)

    def __enter__(self) -> Bystander:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        # At least one answer comes in whatever the attack's length: the last request is let finish.
        while not self.answers and not self.errors and self._thread.is_alive():
            time.sleep(0.05)
        self._stop.set()
        self._thread.join(timeout=MAX_SECONDS * 5 + 1)

    @property
    def slowest(self) -> float:
        return max((a.seconds for a in self.answers), default=float("inf"))

    def assert_responsive(self, max_seconds: float = MAX_SECONDS) -> None:
        assert not self.errors, f"the bystander's requests failed: {self.errors}"
        assert self.answers, "the bystander got no answer at all"
        unexpected = [a.status for a in self.answers if a.status != self.expect]
        assert not unexpected, f"the bystander expected {self.expect}, got {unexpected}"
        assert self.slowest < max_seconds, (
            f"the bystander waited {self.slowest:.2f} s (over {max_seconds} s) for {self.path}; "
            f"all: {[round(a.seconds, 2) for a in self.answers]}"
        )
