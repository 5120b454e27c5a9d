"""What is markup and what is text: the one place that says so.

A contract reaches us as Markdown, HTML fragments pasted into Markdown, or plain text from a word processor. Two
copies that differ only in markup say the same thing, so comparisons (and the redline) read a *comparable* form:

- HTML: tags (``<span class="header_2" id="1">``) and comments dropped, entities decoded (``&amp;`` -> ``&``);
- Markdown: emphasis and code marks (``**``, ``_``, `````), link and image syntax (``[text](url)`` -> ``text``; the
  target is not the text), heading marks (``## ``, setext underlines), block quotes, table pipes and separator
  rows, backslash escapes (``1\\.`` -> ``1.``), horizontal rules;
- list numbering and bullets at the start of a line (``1.``, ``(a)``, ``iv)``, ``B.``, ``3.2``, ``-``, ``*``);
- typography: curly quotes -> straight, dashes -> ``-``, ``…`` -> ``...``, no-break and zero-width spaces,
  compatibility characters (ligatures);
- whitespace: every run is one space, none at either end.

Letter case, punctuation and wording are kept: they are text (a caller that ignores case lower-cases the words).

API: ``comparable(text)`` is the comparable string; ``comparable_words(text)`` its words, each with the verbatim
offsets it came from (``text[w.start:w.end]`` is the word as written, markup inside it included), so a caller can
diff comparable words and show or quote the original text around a difference.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Word", "comparable", "comparable_words", "project"]


@dataclass(frozen=True)
class Word:
    """A word of the comparable form and where it is in the verbatim text."""

    text: str
    start: int
    end: int


# A replacement: literal text (mapped to the match's start), or the numbers of groups kept with their offsets.
_Replacement = str | tuple[int, ...]

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>", re.I)
_BLOCK_TAGS = "br|p|div|li|ul|ol|tr|td|th|table|thead|tbody|h[1-6]|hr|blockquote|section|article|header|footer"
_BLOCK_TAG = re.compile(rf"</?(?:{_BLOCK_TAGS})\b[^<>]*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_LINK_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+[^\n]*$", re.M)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~\"'])")
_HARD_BREAK = re.compile(r"\\$", re.M)
_RULE_OR_UNDERLINE = re.compile(r"^[ \t]*(?:(?:[-=_*][ \t]*){3,}|=+|-+)[ \t]*$", re.M)
_TABLE_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$", re.M)
_FENCE = re.compile(r"^[ \t]*(?:```|~~~)[^\n]*$", re.M)
# Line openers, repeated: block quote, heading marks, bullets and numbering ("1.", "1)", "(a)", "iv.", "B.", "3.2").
_LINE_MARK = re.compile(
    r"^[ \t]*(?:>[ \t]?|#{1,6}(?=[ \t]|$)|[-*+•](?=[ \t])|\(?[0-9]{1,3}(?:\.[0-9]{1,3})*[.)](?=[ \t])"
    r"|[0-9]{1,3}(?:\.[0-9]{1,3})+(?=[ \t])|\([A-Za-z]{1,2}\)(?=[ \t])|\(?[ivxlcIVXLC]{1,6}[.)](?=[ \t])"
    r"|[A-Za-z][.)](?=[ \t]))[ \t]*",
    re.M,
)
_CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*$", re.M)
_EMPHASIS = re.compile(r"\*+|`+|~~|(?<![^\W_])_+|_+(?![^\W_])")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_PIPE = re.compile(r"\|")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")

_CHAR_FOLD = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\u00b4`", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " "),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
    "\u2026": "...",
    "\u2022": " ",
}


def _sub(
    pattern: re.Pattern[str], repl: Callable[[re.Match[str]], _Replacement], text: str, where: list[int]
) -> tuple[str, list[int]]:
    """re.sub that carries each character's verbatim offset along."""
    pieces: list[str] = []
    offsets: list[int] = []
    last = 0
    for m in pattern.finditer(text):
        pieces.append(text[last : m.start()])
        offsets.extend(where[last : m.start()])
        r = repl(m)
        if isinstance(r, str):
            pieces.append(r)
            offsets.extend([where[m.start()] if m.start() < len(where) else (where[-1] + 1)] * len(r))
        else:
            for g in r:
                if m.group(g):
                    pieces.append(m.group(g))
                    offsets.extend(where[m.start(g) : m.end(g)])
        last = m.end()
    if last == 0 and not pieces:
        return text, where
    pieces.append(text[last:])
    offsets.extend(where[last:])
    return "".join(pieces), offsets


def _drop(_: re.Match[str]) -> str:
    return ""


def _space(_: re.Match[str]) -> str:
    return " "


def _keep_1(_: re.Match[str]) -> tuple[int, ...]:
    return (1,)


def _entity(m: re.Match[str]) -> str:
    return html.unescape(m.group())


def _fold_chars(text: str, where: list[int]) -> tuple[str, list[int]]:
    if text.isascii():
        return text, where
    pieces: list[str] = []
    offsets: list[int] = []
    for ch, at in zip(text, where, strict=True):
        if ch.isascii():
            pieces.append(ch)
            offsets.append(at)
            continue
        folded = _CHAR_FOLD.get(ch)
        if folded is None:
            folded = unicodedata.normalize("NFKC", ch)
            folded = "".join(_CHAR_FOLD.get(c, c) for c in folded)
        pieces.append(folded)
        offsets.extend([at] * len(folded))
    return "".join(pieces), offsets


def project(text: str) -> tuple[str, list[int]]:
    """The comparable form of ``text`` and, for each of its characters, the offset in ``text`` it comes from."""
    s, where = text, list(range(len(text)))
    s, where = _sub(_COMMENT, _drop, s, where)
    s, where = _sub(_AUTOLINK, _keep_1, s, where)
    s, where = _sub(_BLOCK_TAG, _space, s, where)
    s, where = _sub(_TAG, _drop, s, where)
    s, where = _sub(_ENTITY, _entity, s, where)  # after tags: "&lt;b&gt;" is text, not a tag
    s, where = _sub(_IMAGE, _keep_1, s, where)
    s, where = _sub(_LINK, _keep_1, s, where)
    s, where = _sub(_REF_LINK, _keep_1, s, where)
    s, where = _sub(_LINK_DEFINITION, _drop, s, where)
    s, where = _sub(_ESCAPE, _keep_1, s, where)
    s, where = _sub(_HARD_BREAK, _drop, s, where)
    s, where = _sub(_FENCE, _drop, s, where)
    s, where = _sub(_TABLE_SEPARATOR, _drop, s, where)
    s, where = _sub(_RULE_OR_UNDERLINE, _drop, s, where)
    for _ in range(3):  # "> 1. (a) text": several openers on one line
        s, where = _sub(_LINE_MARK, _drop, s, where)
    s, where = _sub(_CLOSING_HASHES, _drop, s, where)
    s, where = _sub(_EMPHASIS, _drop, s, where)
    s, where = _sub(_PIPE, _space, s, where)
    s, where = _fold_chars(s, where)
    s, where = _sub(_SPACE, _space, s, where)
    lead = len(s) - len(s.lstrip(" "))
    end = len(s.rstrip(" "))
    return s[lead:end], where[lead:end]


def comparable(text: str) -> str:
    """``text`` without markup, typography and whitespace differences: two texts that differ only in those have
    the same comparable form (see the module docstring for what counts as markup)."""
    return project(text)[0]


def comparable_words(text: str) -> list[Word]:
    """The words of ``comparable(text)`` (letters and digits, with inner apostrophes: "Customer's"), each with
    the offsets of the verbatim text it was read from."""
    s, where = project(text)
    return [Word(m.group(), where[m.start()], where[m.end() - 1] + 1) for m in _WORD.finditer(s)]
