"""A scenario's figures: what must hold (`check`), and the line the README's fault table is made of (`report`).

Each run writes test-artifacts/faults/<scenario>-<size>.json (git-ignored) and prints one summary line.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.faults.ledger import Ledger

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "faults"


@dataclass
class Figures:
    scenario: str
    size: str
    store: str
    jobs: dict[str, str]  # kind -> terminal status
    jobs_completed: int
    jobs_total: int
    records_expected: int
    records: dict[str, Any]  # batch id -> counts
    ledger: Ledger
    api_answers: int
    api_statuses: dict[str, int]
    api_problems: list[str]
    streams: int
    streams_ended: int
    stream_reconnects: int
    stream_problems: list[str]
    job_events: dict[str, int]  # kind -> terminal events on job-events
    recovery_s: float | None  # from the end of the fault to the end of the last job
    duration_s: float
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def records_total(self) -> int:
        return sum(int(r["records"]) for r in self.records.values())

    @property
    def records_answered(self) -> int:
        return sum(int(r["by_status"].get("S", 0)) + int(r["by_status"].get("F", 0)) for r in self.records.values())

    @property
    def records_exactly_once(self) -> bool:
        return (
            self.records_total == self.records_expected
            and self.records_answered == self.records_expected
            and all(r["distinct"] == r["records"] and r["duplicated_pairs"] == 0 for r in self.records.values())
        )

    def check(self) -> None:
        """What the issue says must hold, each with what was seen."""
        assert self.jobs_completed == self.jobs_total, f"not every job completed: {self.jobs}"
        created = self.notes.get("jobs_created", self.jobs_total)
        assert created == self.jobs_total, f"{created} jobs created for {self.jobs_total} submitted"
        assert self.records_exactly_once, f"records not answered exactly once: {self.records}"
        assert self.ledger.paid_twice == 0, f"answers paid twice: {self.ledger.paid_twice_examples}"
        assert not self.api_problems, f"users saw: {self.api_problems[:10]}"
        assert self.streams_ended == self.streams, f"streams that did not end: {self.stream_problems}"
        assert not self.stream_problems, self.stream_problems
        missing = [kind for kind, count in self.job_events.items() if count < 1]
        assert not missing, f"no terminal job-events message for {missing}"

    def line(self) -> str:
        recovery = "-" if self.recovery_s is None else f"{self.recovery_s:.1f} s"
        s_f = {k: sum(int(r["by_status"].get(k, 0)) for r in self.records.values()) for k in ("S", "F")}
        return (
            f"{self.scenario} [{self.size}, {self.store}]: jobs completed {self.jobs_completed}/{self.jobs_total}; "
            f"records {self.records_answered}/{self.records_expected} exactly once={self.records_exactly_once} "
            f"(S {s_f['S']}, F {s_f['F']}); model calls {self.ledger.calls}, paid {self.ledger.answered} for "
            f"{self.ledger.questions} questions, paid twice {self.ledger.paid_twice}, lost in transit re-sent "
            f"{self.ledger.lost_in_transit_resent}, killed before stored re-sent "
            f"{self.ledger.killed_before_stored_resent}; API answers {self.api_answers} {self.api_statuses}; "
            f"streams ended {self.streams_ended}/{self.streams} ({self.stream_reconnects} reconnects); "
            f"recovery {recovery}; duration {self.duration_s:.1f} s; {self.notes}"
        )

    def report(self) -> str:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        data = asdict(self) | {"records_exactly_once": self.records_exactly_once}
        (ARTIFACTS / f"{self.scenario}-{self.size}.json").write_text(json.dumps(data, indent=2, default=str))
        line = self.line()
        print(f"\nFAULTS {line}")
        return line
