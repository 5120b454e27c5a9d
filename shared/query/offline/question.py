"""A question read as concepts: its content words, each with the terms contracts use for the same thing.

Question words, everyday verbs and the parties are dropped ("What does the agreement say about ..."); colloquial
phrases are rewritten first ("give back" is return); each remaining word brings its related terms ("poaching
staff" ~ "solicit employees", "heard" ~ "courts"), which count for a little less than the word itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.analysis.offline.similarity import STOPWORDS, fold, lemma, wordlist, words
from shared.query.offline.vocabulary import QUESTION_PHRASES, QUESTION_STOP, RELATED_TERMS

# A clause that says it with a related term ("employees" for "staff") answers almost as well as the word itself.
SYNONYM_CREDIT = 0.8
# Questions about what something means or covers: definitions answer them.
_SCOPE_WORDS = frozenset(
    wordlist(
        "mean means meaning define defines defined definition cover covers covered include includes included count"
    )
)


@dataclass(frozen=True)
class Concept:
    """One content word of the question, and the terms a clause may use instead."""

    word: str
    related: tuple[str, ...]
    surface: str = ""  # the word as asked ("competitors" for "competitor")

    def credit(self, found: set[str]) -> float:
        if self.word in found:
            return 1.0
        return SYNONYM_CREDIT if any(t in found for t in self.related) else 0.0

    def terms(self) -> tuple[str, ...]:
        return (self.word, *self.related)


@dataclass(frozen=True)
class Query:
    """The question as the answerer reads it: its concepts in order, and its topic in the asker's words."""

    concepts: tuple[Concept, ...]
    topic: str
    asks_scope: bool = False  # "what does ... mean / cover / include": definitions are answers like any other
    text: str = ""  # the question (or part) as asked
    reading: str = ""  # ... with its everyday phrases rewritten in the contracts' words ("lock us out": suspend)


# Leading words of a question that are not its topic: "What is the" governing law?
_LEADING_WORDS = frozenset(
    wordlist(
        """what which who how long much many when where whether does do did is are can may under there any the a an
        contract contracts agreement agreements say says provide provides specify about of for regarding each
        these those in it this"""
    )
)
# Words that only qualify the topic: "payment terms" asks about payment; "non-solicitation" about solicitation.
_RAW_STOP = frozenset({"terms", "non", "clause", "provision"})


def _topic(question: str) -> str:
    tokens = question.strip().rstrip("?.! ").split()
    while tokens and tokens[0].lower().strip(",") in _LEADING_WORDS:
        tokens.pop(0)
    return " ".join(tokens) or question.strip().rstrip("?")


def parse_question(question: str) -> Query:
    """The question's concepts, in order; a word that is a related term of an earlier concept adds nothing."""
    text = fold(question)
    for pattern, replacement in QUESTION_PHRASES:
        text = pattern.sub(replacement, text)
    asked: dict[str, str] = {}  # lemma -> the first word asked that way
    for w in words(text):
        if w not in STOPWORDS and w not in QUESTION_STOP and w not in _RAW_STOP:
            asked.setdefault(lemma(w), w)
    concepts: list[Concept] = []
    covered: set[str] = set()
    for word, surface in asked.items():
        if word in covered:
            continue
        concept = Concept(word, RELATED_TERMS.get(word, ()), surface)
        concepts.append(concept)
        covered.update(concept.terms())
    return Query(
        tuple(concepts),
        _topic(question),
        asks_scope=bool(_SCOPE_WORDS.intersection(words(text))),
        text=question,
        reading=text,
    )


# A second question joined to the first: ", and how long ...", "; can they ...", "? Where ...". A noun joined by
# "and" ("the governing law and the forum") is one question.
_ASKING = (
    r"what|which|who|whom|whose|when|where|why|how|can|could|do|does|did|is|are|was|were|will|would|shall|should"
    r"|may|might|must|has|have|if"
)
_PART_BREAK = re.compile(rf"(?:,?\s+and\s+|;\s*|,\s+(?:but|or)\s+|\?\s+)(?=(?:{_ASKING})\b)", re.I)
MIN_PART_WORDS = 3


def question_parts(question: str) -> list[str]:
    """The questions a question asks: "What is the governing law, and how long do the confidentiality obligations
    last?" is two. A part too short to stand alone stays with the one before it."""
    pieces = [p.strip(" ,;") for p in _PART_BREAK.split(question.strip()) if p.strip(" ,;?")]
    parts: list[str] = []
    for piece in pieces:
        if parts and len(piece.split()) < MIN_PART_WORDS:
            parts[-1] = f"{parts[-1]} and {piece}"
        else:
            parts.append(piece)
    return [p if p.endswith("?") else p + "?" for p in parts] if len(parts) > 1 else [question]
