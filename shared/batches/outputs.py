"""What we ask the model to return for a document evaluation (comments, not docstrings: pydantic would bill a
docstring to every call). A score its prompt's scoring does not allow fails validation, so the client's corrective
retry shows the model the allowed range."""

from __future__ import annotations

from pydantic import BaseModel, ValidationInfo, model_validator

from shared.batches.models import Checks, Scoring
from shared.batches.scoring import ScoreInvalid, check_score

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
    return UnscoredEvaluationOut if isinstance(scoring, Checks) else EvaluationOut
