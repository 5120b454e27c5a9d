"""What the answer quotes from a clause: every sentence that carries a part of the question, verbatim.

Every quote is an exact substring of the clause text (citations are checked for it), so passages are cut from
the text at sentence offsets and never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.analysis.offline.similarity import clip, fold, lemmas, sentences, strip_heading
from shared.query.offline.question import Query

# Every sentence that carries at least this share of the question is quoted (the best ones, up to a limit).
SENTENCE_SHARE = 0.15
MAX_SENTENCES_PER_CLAUSE = 3
QUOTE_CHARS = 500


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    score: float
    carries: frozenset[int]  # indexes of the concepts the sentence carries


def _spans(text: str, query: Query, weights: list[float]) -> list[_Span]:
    """Sentences that carry a part of the question, in text order; a clause or sub-clause heading that opens a
    sentence ("12. **Notices**. Notices ...") is not quoted."""
    out = []
    for s in sentences(text):
        body = strip_heading(s.text)
        found = set(lemmas(body))
        credits = [c.credit(found) for c in query.concepts]
        score = sum(w * c for w, c in zip(weights, credits, strict=True))
        if score > 0:
            out.append(_Span(s.end - len(body), s.end, score, frozenset(i for i, c in enumerate(credits) if c)))
    return out


def _quoted_spans(spans: list[_Span], weights: list[float]) -> list[_Span]:
    """The best sentence, and every other that carries a real part of the question (best first, to a limit)."""
    ranked = sorted(spans, key=lambda s: (-s.score, s.start))
    floor = SENTENCE_SHARE * sum(weights)
    chosen = ranked[:1] + [s for s in ranked[1:] if s.score >= floor][: MAX_SENTENCES_PER_CLAUSE - 1]
    return sorted(chosen, key=lambda s: s.start)


def verbatim_quotes(text: str, query: Query, weights: list[float]) -> list[str]:
    """Verbatim quotes of the sentences that carry the question: neighbours joined into one passage while it
    stays within QUOTE_CHARS, a long sentence clipped around the first asked word it contains."""
    spans = _spans(text, query, weights)
    if not spans:
        return [clip(text, QUOTE_CHARS, ellipsis=False)]
    passages: list[tuple[int, int]] = []
    for span in _quoted_spans(spans, weights):
        if passages and span.end - passages[-1][0] <= QUOTE_CHARS:
            passages[-1] = (passages[-1][0], span.end)
        else:
            passages.append((span.start, span.end))
    return [_clip_passage(text[start:end], query) for start, end in passages]


def _clip_passage(passage: str, query: Query) -> str:
    if len(passage) <= QUOTE_CHARS:
        return passage
    folded = fold(passage)
    positions = [m.start() for c in query.concepts if (m := re.search(r"\b" + re.escape(c.word), folded))]
    return clip(passage, QUOTE_CHARS, min(positions) if positions else 0, ellipsis=False)
