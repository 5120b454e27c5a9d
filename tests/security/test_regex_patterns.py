"""Hostile `checks` patterns, through the API: refused with the reason when a batch is saved (POST and PUT), linear
when they run over a hostile document (the pattern that froze the worker on Python's `re`), and a pattern saved
before RE2 that RE2 cannot run fails its records with the reason, unpaid. Another user's requests keep being
answered in well under two seconds throughout."""

from __future__ import annotations

from typing import Any

import pytest

from shared.batches.models import Batch
from shared.storage.sqlite import sqlite_repositories
from tests.e2e.app import RunningApp
from tests.e2e.helpers import SAMPLE_DATA
from tests.security.helpers import create_batch, responses, run_batch, stage, upload_document
from tests.support.openai_server import OpenAITestServer
from tests.support.responsiveness import Bystander, Stopwatch

pytestmark = pytest.mark.slow

EVIL = r"(\w+\s?)+$"  # Python's re: over a second for 22 letters and a "!", twice that for each letter more
BYSTANDER_WITHIN = 1.5


def checks(*named: tuple[str, str]) -> dict[str, Any]:
    return {"type": "checks", "checks": [{"name": name, "regex": regex} for name, regex in named]}


def batch_body(scoring: dict[str, Any]) -> dict[str, Any]:
    prompt = {"name": "P", "text": "Check.", "scoring": scoring}
    return {"name": "Patterns", "folders": ["Contracts"], "prompts": [prompt]}


@pytest.mark.parametrize(
    ("regex", "why"),
    [
        (r"(party)\s+\1", "backreferences"),
        (r"(?<!non-)exclusive", "lookahead and lookbehind"),
        (r"\pL{1000}", "too complex"),
    ],
)
def test_a_pattern_re2_cannot_run_is_a_422_naming_the_check_on_create_and_edit(
    security_app: RunningApp, regex: str, why: str
) -> None:
    body = batch_body(checks(("Law", "governed by"), ("Hostile", regex)))
    with security_app.client("pattern-author") as client:
        with Bystander(security_app.base_url) as bystander, Stopwatch() as attack:
            created = client.post("/api/batches", json=body)
        assert created.status_code == 422, created.text
        error = created.json()["error"]
        assert error["code"] == "invalid_request"
        assert [d["field"] for d in error["details"]] == ["prompts.0.scoring.checks.checks.1.regex"]
        assert f"check 'Hostile': regex {regex!r} is refused: " in error["message"] and why in error["message"]
        assert attack.seconds < 1.0, attack.seconds
        print(bystander.assert_kept_answering(attack, within=BYSTANDER_WITHIN))

        upload_document(client, "Contracts", "nda.md", (SAMPLE_DATA / "nda_mutual_standard.md").read_bytes())
        batch_id = create_batch(client, "Contracts", [{"name": "P", "text": "Check."}])
        edited = client.put(f"/api/batches/{batch_id}", json=body)
        assert edited.status_code == 422 and edited.json()["error"]["details"] == error["details"], edited.text
        assert client.get(f"/api/batches/{batch_id}").json()["config"]["prompts"][0]["scoring"] == {"type": "pass_fail"}


def test_thousands_of_patterns_each_slow_to_refuse_are_refused_at_once(security_app: RunningApp) -> None:
    """50 prompts x 50 checks RE2 takes milliseconds each to refuse: the first refusal ends the compilation."""
    prompts = [
        {"name": f"P{i}", "text": "Check.", "scoring": checks(*((f"C{j}", rf"\pL{{1000}}{i}.{j}") for j in range(50)))}
        for i in range(50)
    ]
    with security_app.client("pattern-flood") as client:
        with Bystander(security_app.base_url) as bystander, Stopwatch() as attack:
            reply = client.post("/api/batches", json={"name": "Flood", "folders": ["Contracts"], "prompts": prompts})
        assert reply.status_code == 422, reply.text[:300]
        assert [d["field"] for d in reply.json()["error"]["details"]] == ["prompts.0.scoring.checks.checks.0.regex"]
        assert attack.seconds < 1.0, attack.seconds
        print(bystander.assert_kept_answering(attack, within=BYSTANDER_WITHIN))


def test_the_pattern_that_froze_the_worker_runs_in_linear_time_over_a_hostile_document(
    security_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    """On `re` this record would never finish, holding the GIL: every request of the worker waited with it."""
    with security_app.client("pattern-runner") as client:
        upload_document(client, "Contracts", "words.txt", b"The parties agree as follows.\n" + b"a" * 200_000 + b"!")
        upload_document(client, "Contracts", "nda.md", (SAMPLE_DATA / "nda_mutual_standard.md").read_bytes())
        scoring = checks(("Ends in words", EVIL), ("Agreement", r"parties\s+agree"), ("Law", "governed by the laws"))
        batch_id = create_batch(client, "Contracts", [{"name": "Checks", "text": "Check it.", "scoring": scoring}])
        assert stage(client, batch_id)["documents_prepared"] == 2

        with Bystander(security_app.base_url) as bystander, Stopwatch() as attack:
            batch = run_batch(client, batch_id)
        assert attack.seconds < 15, attack.seconds  # two model calls through the whole job machinery
        print(bystander.assert_kept_answering(attack, within=BYSTANDER_WITHIN))
        assert batch["counts"] == {"QUEUED": 0, "S": 2, "F": 0}, batch["counts"]
        found = responses(client, batch_id)
        words, nda = found[("words.txt", "Checks")], found[("nda.md", "Checks")]
        assert words["score"] == pytest.approx(1 / 3) and "passed: Agreement; failed: Ends in words, Law" in words[
            "response_text"
        ].replace(".", "")
        assert "The parties agree as follows." in words["evidence"]
        assert nda["score"] == pytest.approx(2 / 3)  # the NDA ends in "." (no match of EVIL), and is governed by law


def test_a_stored_pattern_re2_cannot_run_fails_its_records_with_the_reason_and_costs_no_model_call(
    security_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    """A batch saved before patterns were compiled with RE2 can hold a backreference: written into the store here
    as it would have been then. It loads, stages and runs: the other prompt is answered, the checks fail each
    record with the reason, before any model call."""
    user = "legacy-patterns"
    with security_app.client(user) as client:
        upload_document(client, "Contracts", "nda.md", (SAMPLE_DATA / "nda_mutual_standard.md").read_bytes())
        prompts = [
            {"name": "Law", "text": "Which law governs the agreement?"},
            {"name": "Echo", "text": "Look for repeated words.", "scoring": checks(("Repeated word", "governed"))},
        ]
        batch_id = create_batch(client, "Contracts", prompts)
        repos = sqlite_repositories(security_app.data_dir)
        stored = repos.batches.get(user, batch_id)
        legacy = stored.item.model_dump(mode="json")
        legacy["config"]["prompts"][1]["scoring"]["checks"][0]["regex"] = r"\b(\w+) \1\b"
        repos.batches.replace(Batch.model_validate(legacy), stored.etag)

        assert client.get(f"/api/batches/{batch_id}").status_code == 200  # it loads
        assert stage(client, batch_id)["documents_prepared"] == 1
        openai_server.reset()
        with Bystander(security_app.base_url) as bystander, Stopwatch() as attack:
            batch = run_batch(client, batch_id)
        print(bystander.assert_kept_answering(attack, within=BYSTANDER_WITHIN))
        assert batch["counts"] == {"QUEUED": 0, "S": 1, "F": 1}, batch["counts"]
        echo = responses(client, batch_id)[("nda.md", "Echo")]
        assert echo["status"] == "F"
        assert echo["error"] == (
            "the checks cannot run: check 'Repeated word': backreferences (\\1, (?P=name)) are not supported: "
            "RE2 matches in linear time, without them"
        )
        sent = [r for r in openai_server.requests if "/chat/completions" in r.path]
        assert len(sent) == 1 and "Which law governs" in str(sent[0].messages)  # the Law record only
