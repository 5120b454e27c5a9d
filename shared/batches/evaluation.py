"""What one evaluation is — a prompt applied to one document — and how its answer is made trustworthy: the score
is checked against the prompt's scoring (checks are computed, not asked), and every piece of evidence must be a
verbatim quote of the document, or it is dropped."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.batches.models import Checks, ModelConfig, PromptConfig
from shared.batches.scoring import check_score, run_checks
from shared.llm.quotes import clean_quote, contains_words, normalise_ws

MAX_EVIDENCE = 8
MAX_EVIDENCE_CHARS = 600


class EvaluationTask(BaseModel):
    prompt: PromptConfig
    document_id: str
    filename: str
    text: str
    model: ModelConfig


class Evaluation(BaseModel):
    """A record's answer: the response, its score in the prompt's scoring, and verbatim evidence."""

    response_text: str
    score: float | None = None
    evidence: list[str] = Field(default_factory=list)


def settle(task: EvaluationTask, answer: Evaluation) -> Evaluation:
    """The answer as it is stored: checks scored by their regexes (with the sentences they matched as evidence),
    any other score checked against the scoring (ScoreInvalid otherwise), evidence kept only where verbatim."""
    scoring = task.prompt.scoring
    evidence = verbatim(task.text, answer.evidence)
    if isinstance(scoring, Checks):
        share, passing, matched = run_checks(task.text, scoring)
        failing = [c.name for c in scoring.checks if c.name not in passing]
        note = f" Checks passed: {', '.join(passing) or 'none'}; failed: {', '.join(failing) or 'none'}."
        return Evaluation(
            response_text=answer.response_text.strip() + note,
            score=share,
            evidence=verbatim(task.text, [*matched, *evidence]),
        )
    return Evaluation(
        response_text=answer.response_text.strip(), score=check_score(answer.score, scoring), evidence=evidence
    )


def verbatim(text: str, quotes: list[str]) -> list[str]:
    """The quotes that occur in `text` (whitespace-normalised, whole words), cleaned and without repeats."""
    haystack = normalise_ws(text)
    kept: list[str] = []
    for quote in quotes:
        cleaned = clean_quote(quote)[:MAX_EVIDENCE_CHARS]
        if cleaned and cleaned not in kept and contains_words(haystack, cleaned):
            kept.append(cleaned)
    return kept[:MAX_EVIDENCE]
