"""Checking that a quote is really in the text it claims to come from: whitespace-normalised, whole words."""

from __future__ import annotations

# A quote shorter than this proves nothing (a stray "y" occurs in every contract), so it is not a citation.
MIN_QUOTE_CHARS = 8
_QUOTE_MARKS = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"  # straight, curly and guillemets


def normalise_ws(text: str) -> str:
    return " ".join(text.split())


def contains_words(text: str, quote: str) -> bool:
    """`quote` occurs in `text` without starting or ending inside a word ("able within" is not in "payable within")."""
    start = text.find(quote)
    while start != -1:
        end = start + len(quote)
        starts_clean = start == 0 or not (text[start - 1].isalnum() and quote[0].isalnum())
        ends_clean = end == len(text) or not (text[end].isalnum() and quote[-1].isalnum())
        if starts_clean and ends_clean:
            return True
        start = text.find(quote, start + 1)
    return False


def clean_quote(quote: str) -> str:
    # Models often wrap a verbatim quote in quotation marks; those are not part of the contract text.
    return normalise_ws(quote).strip(_QUOTE_MARKS + " ")
