"""Scoring rules and the checks on an answer: what a score may be, the deterministic checks, verbatim evidence,
the answer key of the answer cache."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.batches.answer_cache import answer_key
from shared.batches.evaluation import Evaluation, EvaluationTask, settle, verbatim
from shared.batches.models import BatchConfig, Checks, ModelConfig, PassFail, PromptConfig, Scale
from shared.batches.patterns import client_config
from shared.batches.scoring import ScoreInvalid, check_score, normalised, passed, run_checks

TEXT = (
    "1. Governing Law. This Agreement is governed by the laws of the State of New York.\n\n"
    "2. Term. This Agreement lasts two (2) years. Either party may terminate it on thirty (30) days' notice."
)


def task(scoring: PassFail | Scale | Checks) -> EvaluationTask:
    prompt = PromptConfig(name="p", text="Which law governs?", scoring=scoring)
    return EvaluationTask(prompt=prompt, document_id="d", filename="nda.txt", text=TEXT, model=ModelConfig())


def test_pass_fail_and_scale_scores_are_checked_against_the_scoring() -> None:
    assert check_score(1, PassFail()) == 1.0
    with pytest.raises(ScoreInvalid, match="1 \\(pass\\) or 0"):
        check_score(0.7, PassFail())
    scale = Scale(min=1, max=5)
    assert check_score(4, scale) == 4.0
    with pytest.raises(ScoreInvalid, match="from 1 to 5"):
        check_score(6, scale)
    with pytest.raises(ScoreInvalid, match="whole number"):
        check_score(3.5, scale)
    assert check_score(0.25, Scale(min=0, max=0.5)) == 0.25  # fractional bounds allow fractions
    with pytest.raises(ScoreInvalid, match="required"):
        check_score(None, scale)


def test_normalised_scores_and_passes() -> None:
    scale = Scale(min=1, max=5)
    assert normalised(3, scale) == 0.5 and passed(3, scale) and not passed(2, scale)
    assert passed(1.0, PassFail()) and not passed(0.0, PassFail())
    checks = Checks(checks=[{"name": "a", "regex": "a"}])
    assert passed(1.0, checks) and not passed(0.5, checks)


def test_checks_score_the_share_that_match_with_the_matching_sentence_as_evidence() -> None:
    checks = Checks(
        checks=[
            {"name": "New York law", "regex": r"laws of the State of New\s+York"},
            {"name": "notice", "regex": r"\(30\) days"},
            {"name": "arbitration", "regex": "arbitrat"},
        ]
    )
    share, passing, evidence = run_checks(TEXT, checks)
    assert share == pytest.approx(2 / 3) and passing == ["New York law", "notice"]
    assert all(quote in TEXT for quote in evidence) and any("thirty (30) days" in q for q in evidence)
    settled = settle(task(checks), Evaluation(response_text="Reviewed.", score=None, evidence=[]))
    assert settled.score == pytest.approx(2 / 3)
    assert "Checks passed: New York law, notice; failed: arbitration." in settled.response_text


def test_evidence_is_kept_only_where_the_document_says_it_verbatim() -> None:
    quotes = [
        "“governed by the laws of the State of New York”",  # quotation marks around a real quote: kept, cleaned
        "governed by the laws of the State of California",  # not in the document
        "either party may terminate",  # case differs: not verbatim
        "terminate it on thirty (30) days' notice",
        "terminate it on thirty (30) days' notice",  # repeated
    ]
    assert verbatim(TEXT, quotes) == [
        "governed by the laws of the State of New York",
        "terminate it on thirty (30) days' notice",
    ]


def test_a_score_the_scoring_does_not_allow_is_not_used() -> None:
    with pytest.raises(ScoreInvalid):
        settle(task(Scale(min=1, max=5)), Evaluation(response_text="x", score=9, evidence=[]))


def test_the_answer_key_changes_with_whatever_changes_the_answer_and_not_with_the_prompt_name() -> None:
    prompt = PromptConfig(name="Law", text="Which law governs?")
    base = answer_key("sha-1", prompt, "gpt-4o", ModelConfig())
    assert answer_key("sha-1", prompt.model_copy(update={"name": "Renamed"}), "gpt-4o", ModelConfig()) == base
    assert answer_key("sha-2", prompt, "gpt-4o", ModelConfig()) != base
    assert answer_key("sha-1", prompt.model_copy(update={"text": "Which law?"}), "gpt-4o", ModelConfig()) != base
    assert answer_key("sha-1", prompt.model_copy(update={"scoring": Scale()}), "gpt-4o", ModelConfig()) != base
    assert answer_key("sha-1", prompt, "gpt-4o-mini", ModelConfig()) != base
    assert answer_key("sha-1", prompt, "gpt-4o", ModelConfig(temperature=0.5)) != base
    assert answer_key("sha-1", prompt, "gpt-4o", ModelConfig(max_tokens=500)) != base


def test_a_batch_configuration_is_validated_with_the_field_named() -> None:
    with pytest.raises(ValidationError, match="must be below max"):
        PromptConfig(name="p", text="t", scoring={"type": "scale", "min": 5, "max": 1})
    with pytest.raises(ValidationError, match="check 'bad': regex '\\(' is refused: does not compile"):
        Checks.model_validate({"checks": [{"name": "bad", "regex": "("}]}, context=client_config())
    with pytest.raises(ValidationError, match="repeated: p"):
        BatchConfig(name="b", folders=["f"], prompts=[{"name": "p", "text": "a"}, {"name": "p", "text": "b"}])
    with pytest.raises(ValidationError, match="folder"):
        BatchConfig(name="b", folders=["../etc"], prompts=[{"name": "p", "text": "a"}])
    with pytest.raises(ValidationError):
        PromptConfig(name="p", text="t", scoring={"type": "stars"})
