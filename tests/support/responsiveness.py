"""Is the app still answering other users while one attacks it? A bystander times a cheap request over and over on
its own thread while the attack runs; the attack is timed too. For tests/security/ (any attack, any endpoint):

    with Bystander(app.base_url) as bystander, Stopwatch() as attack:
        reply = attacker.post("/api/contracts", json=bomb)
    assert attack.seconds < 5
    bystander.assert_kept_answering(attack, within=1.5)

The bystander is another user (`bystander-<n>`) reading `GET /api/contracts?limit=1` by default: a request that
touches the store and the identity code but costs the app next to nothing, so its latency is the app's own.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

import httpx

from tests.e2e.helpers import client_for

_NAMES = itertools.count(1)


@dataclass(frozen=True)
class Sample:
    started: float  # time.monotonic()
    ended: float
    status: int  # 0: no answer (timeout or connection error)

    @property
    def seconds(self) -> float:
        return self.ended - self.started


class Stopwatch:
    """How long the attack took (monotonic clock, the same as the bystander's samples)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.ended = 0.0

    def __enter__(self) -> Stopwatch:
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ended = time.monotonic()

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started


@dataclass
class Bystander:
    """Sends `path` as another user every `interval` seconds (each request waits for the one before it) until the
    block ends; `samples` keeps every request's start, end and status."""

    base_url: str
    path: str = "/api/contracts?limit=1"
    user: str = field(default_factory=lambda: f"bystander-{next(_NAMES)}")
    interval: float = 0.05
    timeout: float = 10.0
    expect: int = 200
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"bystander {self.user}", daemon=True)

    def __enter__(self) -> Bystander:
        self._thread.start()
        # One answer before the attack starts: the baseline, and proof the bystander is wired up.
        deadline = time.monotonic() + self.timeout
        while not self.samples and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.samples, f"the bystander got no answer from {self.path} within {self.timeout}s"
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=self.timeout + 1)

    def _run(self) -> None:
        with client_for(self.base_url, self.user) as client:
            client.timeout = httpx.Timeout(self.timeout)
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    status = client.get(self.path).status_code
                except httpx.HTTPError:
                    status = 0
                self.samples.append(Sample(started, time.monotonic(), status))
                self._stop.wait(self.interval)

    def during(self, attack: Stopwatch) -> list[Sample]:
        """The requests that were in flight at some moment of the attack."""
        return [s for s in self.samples if s.started <= attack.ended and s.ended >= attack.started]

    def summary(self, attack: Stopwatch) -> str:
        during = self.during(attack)
        slowest = max((s.seconds for s in during), default=0.0)
        return (
            f"{len(during)} bystander requests during the {attack.seconds:.2f}s attack, slowest {slowest:.2f}s, "
            f"statuses {sorted({s.status for s in during})}"
        )

    def assert_kept_answering(self, attack: Stopwatch, within: float = 1.5) -> str:
        """Every request the bystander sent while the attack ran was answered (`expect`) within `within` seconds,
        and an attack that lasted half a second or more saw several of them (the overlap is real). Returns the
        summary (tests print it: `pytest -rP` shows the figures)."""
        during = self.during(attack)
        slowest = max((s.seconds for s in during), default=0.0)
        summary = self.summary(attack)
        assert all(s.status == self.expect for s in during), summary
        assert slowest <= within, summary
        if attack.seconds >= 0.5:
            assert len(during) >= 3, summary
        # Requests that started while the attack ran, not only one that straddled its start.
        assert any(s.started >= attack.started for s in during) or attack.seconds < 0.5, summary
        return summary
