"""Clause titles: recognising a title, cleaning one, deriving one from a body, and a comparable form of it."""

from __future__ import annotations

import re

# Markdown emphasis and code marks around or inside a heading.
EMPHASIS = re.compile(r"[*_`]+")
# Inline markup a heading line may carry: HTML tags, links (their text stays), backslash escapes.
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_MARKUP_CHARS = frozenset("<[\\*_`")
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "per",
        "the",
        "to",
        "under",
        "upon",
        "with",
        "without",
        "its",
        "their",
        "this",
        "that",
    ]
)


def is_title(candidate: str) -> bool:
    """Short and title-cased or upper-case: "Limitation of Liability", "CONFIDENTIALITY", not a sentence."""
    words = candidate.split()
    if not words or len(words) > 10 or len(candidate) > 80:
        return False
    if candidate.isupper():
        return True
    significant = [w for w in words if w.lower() not in _SMALL_WORDS and w[0].isalpha()]
    return all(w[0].isupper() for w in significant)


def plain_inline(line: str) -> str:
    """A line without its inline markup: HTML tags, link syntax (the link text stays), backslash escapes and
    emphasis marks. ``1. <span class="header_2">Service</span>`` -> ``1. Service``; ``1\\. Who's Who`` -> ``1. Who's
    Who``. (shared/text/markup.py's `comparable` goes further: it also drops list numbering and folds typography.)"""
    if not _MARKUP_CHARS.intersection(line):  # most lines: nothing to drop
        return " ".join(line.split())
    text = _ESCAPE.sub(r"\1", _LINK.sub(r"\1", _TAG.sub("", line)))
    return " ".join(EMPHASIS.sub("", text).split())


def clean_title(title: str) -> str:
    """A heading's title without markup (emphasis, tags, links) and trailing '.' or ':'."""
    return " ".join(plain_inline(title).split()).strip().rstrip(".:").strip()


def derive_title(body: str) -> str:
    """A title for an untitled clause: the first words of its body."""
    words = plain_inline(body).split()
    return " ".join(words[:8]).rstrip(".,;:") if words else ""


_NUMBER_PREFIX = re.compile(
    r"^\s*(?:(?:article|section|clause|§)\s*(?:[ivxlcdm]+|\d+(?:\.\d+)*)\b|\(?[a-z0-9]{1,3}\)|"
    r"\d+(?:\.\d+)*\.?(?=\s|$)|[ivxlcdm]+\.(?=\s))",
)
_NON_WORD = re.compile(r"[^\w]+")


def normalize_title(title: str) -> str:
    """Comparable form of a heading: "ARTICLE III - Limitation of Liability." -> "limitation of liability"."""
    t = EMPHASIS.sub(" ", plain_inline(title)).replace("#", " ").lower().replace("&", " and ")
    t = t.replace("\u2019", "'").replace("'s ", "s ")
    t = _NUMBER_PREFIX.sub("", t, count=1)
    return " ".join(_NON_WORD.sub(" ", t).split())
