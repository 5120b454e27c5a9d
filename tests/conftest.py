"""Suite-wide fixtures (the test servers) and the skip policy.

A skip must never hide a suite that did not run: the summary says how many tests were skipped and why, and under
CI=true any skip at all fails the session (fixtures already fail instead of skipping there, through
tests/support/prerequisites.py; this catches whatever else skips, e.g. a future `skipif`).
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support.prerequisites import in_ci

pytest_plugins = [
    "tests.support.azurite",
    "tests.support.cosmos_server",
    "tests.support.openai_server",
    "tests.support.credentials",
]

SKIP_PREFIX = "Skipped: "


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    # A skip's longrepr is (path, line, "Skipped: <reason>"); anything else is shown as it is.
    reason = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix(SKIP_PREFIX)


class SkipPolicy:
    """Counts skips by reason, reports them in one line, and fails a CI session that has any."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # An expected failure is reported as skipped too (it has `wasxfail`): it ran, so it is not a skip.
        if report.skipped and not hasattr(report, "wasxfail"):
            self.reasons.append(skip_reason(report))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.skipped:  # a whole module skipped (`allow_module_level=True`, `importorskip`)
            self.reasons.append(skip_reason(report))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if in_ci() and self.reasons and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.reasons:
            return
        counts = Counter(self.reasons).most_common()
        terminalreporter.write_line(
            f"{len(self.reasons)} skipped: " + "; ".join(f"{reason} (x{n})" for reason, n in counts), yellow=True
        )
        if in_ci():
            terminalreporter.write_line(
                f"CI=true: the run fails because {len(self.reasons)} test(s) were skipped; a CI run must run every "
                "test (install what is missing, e.g. scripts/bootstrap.sh, or make the test run)",
                red=True,
                bold=True,
            )


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(SkipPolicy(), "contract-jobs-skip-policy")
