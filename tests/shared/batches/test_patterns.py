"""`checks` patterns on RE2: refused with the reason when a client saves them, linear in the text when they run,
and a stored pattern RE2 cannot run fails its records with the reason instead of crashing anything."""

from __future__ import annotations

import re
import time

import pytest
from pydantic import ValidationError

from shared.batches.evaluation import Evaluation, EvaluationTask, settle
from shared.batches.models import Batch, BatchConfig, Checks, ModelConfig, PromptConfig
from shared.batches.patterns import MAX_PROGRAM_SIZE, PatternRefused, client_config, compile_checks, compile_pattern
from shared.batches.scoring import ChecksCannotRun, ScoreInvalid, checks_refusal, run_checks, sentence_around

EVIL = r"(\w+\s?)+$"  # exponential on Python's re: 22 letters and a "!" took over a second


def config(*checks: tuple[str, str]) -> dict[str, object]:
    scoring = {"type": "checks", "checks": [{"name": name, "regex": regex} for name, regex in checks]}
    return {"name": "b", "folders": ["f"], "prompts": [{"name": "p", "text": "Check it.", "scoring": scoring}]}


def refusal_of(*checks: tuple[str, str]) -> dict[str, object]:
    with pytest.raises(ValidationError) as info:
        BatchConfig.model_validate(config(*checks), context=client_config())
    (error,) = info.value.errors(include_url=False)
    return {"field": ".".join(map(str, error["loc"])), "message": error["msg"]}


@pytest.mark.parametrize(
    ("regex", "why"),
    [
        (r"(party)\s+\1", r"backreferences \(\\1, \(\?P=name\)\) are not supported"),
        (r"(?P<p>party) (?P=p)", "backreferences"),
        (r"Supplier(?= shall)", r"lookahead and lookbehind \(\(\?=, \(\?!, \(\?<=, \(\?<!\) are not supported"),
        (r"(?<!non-)exclusive", "lookahead and lookbehind"),
        (r"law\Z", r"\\Z is written \\z in RE2"),
        (r"a{1001}", r"invalid repetition size: \{1001\} \(RE2 allows at most \{1000\}\)"),
        (r"\pL{1000}", "too complex: RE2 cannot compile it within its memory limit"),
        (r"(unclosed", "does not compile: missing \\)"),
    ],
)
def test_a_pattern_re2_cannot_run_is_refused_naming_the_check_and_why(regex: str, why: str) -> None:
    refused = refusal_of(("Governing law", "governed by"), ("Echo", regex))
    assert refused["field"] == "prompts.0.scoring.checks.checks.1.regex"
    assert str(refused["message"]).startswith(f"Value error, check 'Echo': regex {regex!r} is refused: ")
    assert re.search(why, str(refused["message"])), refused


def test_checks_that_compile_too_large_together_are_refused_naming_the_prompt_scoring() -> None:
    refused = refusal_of(("near", r"(?s)limitation.{0,200}liability"), ("far", r"(?s)indemnif.{0,200}gross"))
    assert refused["field"] == "prompts.0.scoring.checks"
    message = str(refused["message"])
    assert re.search(rf"compile to 3,2\d\d RE2 instructions together, over the {MAX_PROGRAM_SIZE:,} allowed", message)
    BatchConfig.model_validate(config(("near", r"(?s)limitation.{0,200}liability")), context=client_config())


def test_after_one_refusal_no_further_pattern_is_compiled() -> None:
    """2,500 patterns RE2 takes milliseconds each to refuse cannot hold the worker: the first refusal ends it."""
    prompts = [
        {"name": f"p{i}", "text": "t", "scoring": {"type": "checks", "checks": [
            {"name": f"c{j}", "regex": rf"\pL{{1000}}{i}-{j}"} for j in range(50)
        ]}}
        for i in range(50)
    ]  # fmt: skip
    started = time.monotonic()
    with pytest.raises(ValidationError) as info:
        BatchConfig.model_validate({"name": "b", "folders": ["f"], "prompts": prompts}, context=client_config())
    assert time.monotonic() - started < 1.0
    assert len(info.value.errors()) == 1


def test_ordinary_checks_and_the_catastrophic_one_for_re_are_accepted() -> None:
    accepted = BatchConfig.model_validate(
        config(("law", "governed by the laws of"), ("evil for re", EVIL), ("letters", r"\pL+ LLC")),
        context=client_config(),
    )
    assert [c.name for c in accepted.prompts[0].scoring.checks] == ["law", "evil for re", "letters"]  # type: ignore[union-attr]


def test_a_stored_batch_with_a_pattern_re2_cannot_run_still_loads_and_its_records_fail_with_the_reason() -> None:
    stored = {"batch_id": "b1", "user_id": "u", "config": config(("Echo", r"(a)\1"))}
    batch = Batch.model_validate(stored)  # no client context: saved before RE2, it must load
    scoring = batch.config.prompts[0].scoring
    assert isinstance(scoring, Checks)
    reason = checks_refusal(scoring)
    assert reason is not None and reason.startswith("the checks cannot run: check 'Echo': backreferences")
    with pytest.raises(ChecksCannotRun, match="check 'Echo'") as info:
        run_checks("a a", scoring)
    assert isinstance(info.value, ScoreInvalid)  # a failed record, like any score the scoring refuses
    task = EvaluationTask(
        prompt=batch.config.prompts[0], document_id="d", filename="f.txt", text="a a", model=ModelConfig()
    )
    with pytest.raises(ScoreInvalid, match="cannot run"):
        settle(task, Evaluation(response_text="ok"))


def test_the_pattern_that_froze_the_worker_runs_in_linear_time() -> None:
    text = "The parties agree as follows. " + "a" * 200_000 + "!"
    scoring = Checks(checks=[{"name": "evil", "regex": EVIL}, {"name": "agree", "regex": r"PARTIES\s+agree"}])
    started = time.monotonic()
    share, passing, evidence = run_checks(text, scoring)
    assert time.monotonic() - started < 2.0  # `re` needs longer than the universe has for 200,000 letters
    assert share == 0.5 and passing == ["agree"] and evidence == ["The parties agree as follows."]


def test_matching_is_case_insensitive_multiline_and_finds_text_after_non_ascii_characters() -> None:
    text = "Préambule — “Définitions”.\nGoverning Law: New York.\n\nLa loi applicable est celle de l\u2019État."
    scoring = Checks(
        checks=[
            {"name": "line start", "regex": r"^governing law"},
            {"name": "unicode", "regex": "l\u2019état\\.$"},
            {"name": "absent", "regex": "arbitration"},
        ]
    )
    share, passing, evidence = run_checks(text, scoring)
    assert passing == ["line start", "unicode"] and share == pytest.approx(2 / 3)
    assert evidence == ["Governing Law: New York.", "La loi applicable est celle de l\u2019État."]


def test_the_evidence_sentence_is_found_in_time_linear_in_the_text() -> None:
    text = "1. Term. This Agreement lasts two (2) years. Either party may end it, e.g. on notice. Fees are due."
    at = text.index("end it")
    assert sentence_around(text, at, at + 6) == "Either party may end it, e.g. on notice."
    hostile = "X. " * 300_000 + "match here" + " No." * 300_000
    started = time.monotonic()
    at = hostile.index("match")
    quote = sentence_around(hostile, at, at + 5)
    assert time.monotonic() - started < 1.0
    assert "match here" in quote and len(quote) <= 1_300 and quote in hostile


def test_compiled_patterns_are_bounded_and_not_kept() -> None:
    with pytest.raises(PatternRefused, match="over the 1,000 allowed"):
        compile_pattern("a" * 1_001)
    first, second = compile_checks([("a", "law"), ("b", "law")])
    assert first is not second  # compiled per use: no cache of users' patterns (each with its own DFA memory)
    assert PromptConfig(name="p", text="t", scoring={"type": "checks", "checks": [{"name": "x", "regex": "("}]})
