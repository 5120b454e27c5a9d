"""Scoring rules: what a score may be for each scoring type, a score on one 0..1 scale (to compare and average
across prompts), what counts as a pass, and the deterministic `checks` scoring (RE2: shared/batches/patterns.py)."""

from __future__ import annotations

from shared.batches.models import Checks, PassFail, Scale, Scoring
from shared.batches.patterns import PatternRefused, compile_checks

PASS_SHARE = 0.5
"""A scale score passes at or above the middle of its range."""


EVIDENCE_REACH = 600
"""How far from its match a check's evidence sentence may reach either way (MAX_EVIDENCE_CHARS is 600 too)."""
_ABBREVIATIONS = frozenset({"e.g", "i.e", "inc", "ltd", "co", "corp", "no", "sec", "art", "mr", "ms", "dr", "u.s"})
_CLOSERS = "\"')\u201d\u2019"


class ScoreInvalid(ValueError):
    """A score its prompt's scoring does not allow (the model's answer is not used)."""


class ChecksCannotRun(ScoreInvalid):
    """A stored `checks` pattern RE2 cannot run (saved before patterns were compiled with RE2): the record fails
    with the reason, naming the check."""

    def __init__(self, refusal: PatternRefused) -> None:
        super().__init__(f"the checks cannot run: {refusal}")


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


def checks_refusal(scoring: Scoring) -> str | None:
    """Why a prompt's checks cannot run (a stored pattern RE2 cannot compile), or None: asked before the model is
    called for a record, so a record that would fail anyway costs nothing."""
    if not isinstance(scoring, Checks):
        return None
    try:
        compile_checks(scoring.named())
    except PatternRefused as exc:
        return str(ChecksCannotRun(exc))
    return None


def run_checks(text: str, scoring: Checks) -> tuple[float, list[str], list[str]]:
    """(share of checks whose regex matches the text, the names of those that pass, a verbatim sentence of the
    text for each passing check: the evidence). Matched with RE2 (linear in the text, the GIL released), each
    pattern compiled just for this and dropped after its search. ChecksCannotRun when one cannot be compiled."""
    try:
        compiled = compile_checks(scoring.named())
    except PatternRefused as exc:
        raise ChecksCannotRun(exc) from None
    # Once, not per check; "replace" keeps one byte per unencodable character (a lone surrogate from a PDF).
    encoded = text.encode("utf-8", "replace")
    passing: list[str] = []
    evidence: list[str] = []
    for check in scoring.checks:
        pattern = compiled.pop(0)
        match = pattern.search(encoded)
        del pattern  # its DFA cache (up to RUN_MEMORY) goes with it
        if match is None:
            continue
        passing.append(check.name)
        start = len(encoded[: match.start()].decode("utf-8", "ignore"))
        end = start + len(encoded[match.start() : match.end()].decode("utf-8", "ignore"))
        quote = sentence_around(text, start, end) or text[start:end]
        if quote.strip() and quote.strip() not in evidence:
            evidence.append(quote.strip())
    return len(passing) / len(scoring.checks), passing, evidence


def _ends_sentence(text: str, i: int, hi: int) -> int | None:
    """Where the sentence that ends at `i` stops (one past its punctuation), if one does: `.`, `!` or `?` (then
    closing quotes or brackets) before whitespace, not after a common abbreviation or an initial; or a blank
    line. Constant work per position, so a scan is linear whatever the text."""
    ch = text[i]
    if ch == "\n":
        return i if i + 1 < hi and text[i + 1] == "\n" else None
    if ch not in ".!?":
        return None
    after = i + 1
    while after < hi and after - i <= 2 and text[after] in _CLOSERS:
        after += 1
    if after < hi and not text[after].isspace():
        return None
    if ch == ".":
        word_start = i
        while word_start > 0 and i - word_start < 4 and (text[word_start - 1].isalpha() or text[word_start - 1] == "."):
            word_start -= 1
        word = text[word_start:i].lower()
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            return None
    return after


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of `text` that holds `text[start:end]` (stretched to hold all of it), within EVIDENCE_REACH of
    it either way: an exact substring, stripped."""
    lo, hi = max(0, start - EVIDENCE_REACH), min(len(text), end + EVIDENCE_REACH)
    first = lo
    for i in range(start - 1, lo - 1, -1):
        stop = _ends_sentence(text, i, hi)
        if stop is not None and stop <= start:
            first = stop
            break
    last = hi
    for i in range(max(end - 1, start), hi):
        stop = _ends_sentence(text, i, hi)
        if stop is not None and stop >= end:
            last = stop
            break
    return text[first:last].strip()
