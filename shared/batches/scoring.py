"""Scoring rules: what a score may be for each scoring type, a score on one 0..1 scale (to compare and average
across prompts), what counts as a pass, and the deterministic `checks` scoring."""

from __future__ import annotations

import re

from shared.analysis.offline.similarity import sentences
from shared.batches.models import Checks, PassFail, Scale, Scoring

PASS_SHARE = 0.5
"""A scale score passes at or above the middle of its range."""


class ScoreInvalid(ValueError):
    """A score its prompt's scoring does not allow (the model's answer is not used)."""


def check_score(score: float | None, scoring: Scoring) -> float:
    """The score, if the scoring allows it: pass/fail 1 or 0, a scale from min to max (integer steps when the
    bounds are whole numbers). Checks are scored by their regexes, never by a model."""
    if isinstance(scoring, Checks):
        raise ScoreInvalid("checks are scored by their regexes, not by a model")
    if score is None:
        raise ScoreInvalid("a score is required")
    if isinstance(scoring, PassFail):
        if score not in (0, 1):
            raise ScoreInvalid(f"a pass/fail score is 1 (pass) or 0 (fail), got {score}")
        return float(score)
    if not scoring.min <= score <= scoring.max:
        raise ScoreInvalid(f"the score must be from {scoring.min:g} to {scoring.max:g}, got {score:g}")
    if float(scoring.min).is_integer() and float(scoring.max).is_integer() and not float(score).is_integer():
        raise ScoreInvalid(f"the score must be a whole number from {scoring.min:g} to {scoring.max:g}, got {score:g}")
    return float(score)


def normalised(score: float, scoring: Scoring) -> float:
    """0..1: pass/fail as is, a scale's position in its range, checks' share as is."""
    if isinstance(scoring, Scale):
        return (score - scoring.min) / (scoring.max - scoring.min)
    return score


def passed(score: float, scoring: Scoring) -> bool:
    if isinstance(scoring, Scale):
        return normalised(score, scoring) >= PASS_SHARE
    return score >= 1.0  # pass/fail: a pass; checks: every check passed


def describe(scoring: Scoring) -> str:
    if isinstance(scoring, PassFail):
        return "pass/fail"
    if isinstance(scoring, Scale):
        return f"scale {scoring.min:g}-{scoring.max:g}"
    return f"{len(scoring.checks)} checks"


def run_checks(text: str, scoring: Checks) -> tuple[float, list[str], list[str]]:
    """(share of checks whose regex matches the text, the names of those that pass, a verbatim sentence of the
    text for each passing check: the evidence)."""
    passing: list[str] = []
    evidence: list[str] = []
    spans = sentences(text)
    for check in scoring.checks:
        match = re.search(check.regex, text, re.IGNORECASE | re.MULTILINE)
        if match is None:
            continue
        passing.append(check.name)
        around = next((s for s in spans if s.start <= match.start() < s.end), None)
        quote = text[around.start : around.end] if around is not None else match.group(0)
        if quote.strip() and quote not in evidence:
            evidence.append(quote.strip())
    return len(passing) / len(scoring.checks), passing, evidence
