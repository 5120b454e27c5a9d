"""What we ask the model to return for a document evaluation (comments, not docstrings: pydantic would bill a
docstring to every call). The schema bounds the score to what the prompt's scoring allows (pass/fail 0 or 1, a
whole-number scale one of its values), so a provider's structured output cannot send another; a score that still
fails the check (a server that ignores the schema, a fractional scale) fails validation, and the client's
corrective retry shows the model the allowed range."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationInfo, model_validator

from shared.batches.models import Checks, PassFail, Scoring
from shared.batches.scoring import ScoreInvalid, check_score
from shared.llm.schema import MAX_ENUM_VALUES, narrowed, one_of

SCHEMA_NAME = "document_evaluation"
SCORING = "scoring"
"""Validation context key: the prompt's scoring."""


class EvaluationOut(BaseModel):
    response_text: str
    score: float
    evidence: list[str]

    @model_validator(mode="after")
    def _allowed_score(self, info: ValidationInfo) -> EvaluationOut:
        scoring = (info.context or {}).get(SCORING)
        if scoring is not None:
            try:
                check_score(self.score, scoring)
            except ScoreInvalid as exc:
                raise ValueError(str(exc)) from None
        return self


# Checks are scored by their regexes: the model answers and quotes, it does not score.
class UnscoredEvaluationOut(BaseModel):
    response_text: str
    evidence: list[str]


def evaluation_schema(scoring: Scoring) -> type[EvaluationOut] | type[UnscoredEvaluationOut]:
    """The reply schema of an evaluation under `scoring` (what the call is sent and counted with)."""
    if isinstance(scoring, Checks):
        return UnscoredEvaluationOut
    return narrowed(EvaluationOut, score=score_type(scoring))


def score_type(scoring: Scoring) -> Any:
    """What a score may be on the wire: pass/fail `0 | 1`; a whole-number scale an enum of its values (an integer
    when it has too many to list); a scale with fractional bounds any number (its validator checks the range)."""
    if isinstance(scoring, PassFail):
        return one_of([0, 1])
    assert not isinstance(scoring, Checks)
    if not (float(scoring.min).is_integer() and float(scoring.max).is_integer()):
        return None
    low, high = int(scoring.min), int(scoring.max)
    return one_of(range(low, high + 1)) if high - low < MAX_ENUM_VALUES else int
