"""Clause headings in a comparable form: numbering, markup and punctuation dropped, lower-case words.

Shared by the offline analyses: the comparison pairs clauses by heading, the query recognises definitions and
preambles by theirs.
"""

from __future__ import annotations

import re
from functools import lru_cache

from shared.analysis.offline.similarity import fold

_NUMBERING = re.compile(
    r"^\s*(?:(?:section|article|clause|schedule)\s+)?(?:[0-9]+(?:\.[0-9]+)*|[ivxlc]+|[a-z])[.):]?\s+", re.I
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=8192)
def normalize_heading(title: str) -> str:
    """'**9. Governing Law & Jurisdiction.**' -> 'governing law and jurisdiction'."""
    text = fold(title).replace("&", " and ").replace("*", " ").replace("#", " ").replace("_", " ").strip()
    text = _NUMBERING.sub("", text)
    return " ".join(_NON_WORD.sub(" ", text).split())
