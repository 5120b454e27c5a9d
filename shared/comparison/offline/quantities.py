"""Quantities named in a clause: amounts, durations, percentages and plain numbers, as values with units.

"five (5) years", "twelve months", "$1,000,000", "10%" and "USD 50,000" are read as comparable values, so the
comparison can tell "thirty (30) days" from "30 days" (the same) and from "sixty (60) days" (a change). An amount
written in words and figures ("$100,000 (one hundred thousand dollars)", "One Hundred Thousand Dollars ($100,000)")
is one quantity, as "five (5) years" is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
_NUM_WORD = r"(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_NUM_WORDS = rf"{_NUM_WORD}(?:[\s-]+{_NUM_WORD})*"
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"  # commas only as thousands separators: "July 20, 2020"
_UNIT = (
    r"(?:calendar\s+|business\s+|working\s+)?(?:years?|months?|weeks?|days?|hours?|minutes?)"
    r"|percent|per\s*cent|%|dollars|usd|eur|euros?|gbp|pounds"
)
_MULTIPLIER = r"(?:\s+(?:thousand|million|billion))?"
# "five (5) years", "5 years", "$1,000,000", "twelve months", "10%", "USD 50,000"; bare "(5)" list markers and
# "Section 5" references are not quantities.
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH = r"(?:" + "|".join(m.capitalize() for m in _MONTHS) + r")"
# "November 16, 2020", "16 November 2020", "November 2020": one date, not three numbers.
_DATE = rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
_QUANTITY = re.compile(
    rf"(?P<date>\b(?:{_DATE})\b)"
    rf"|(?P<money>(?:\$|usd\s*|eur\s*|€|£)\s?{_DIGITS}{_MULTIPLIER})"
    rf"|(?P<words>\b{_NUM_WORDS}\b)(?P<scale>{_MULTIPLIER})(?:\s*\(\s*(?P<paren>\$?{_DIGITS}%?)\s*\))?"
    rf"(?:\s+(?P<unit1>{_UNIT})\b)?"
    rf"|(?<![\w.(§])(?P<digits>{_DIGITS}){_MULTIPLIER}(?:\s*(?P<unit2>{_UNIT})(?:\b|(?<=%)))?",
    re.I,
)
_REFERENCE = re.compile(r"(?:section|sections|article|clause|exhibit|schedule|§|paragraph)\s*$", re.I)


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str
    phrase: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.phrase)


def _unit_key(unit: str | None) -> str:
    if not unit:
        return ""
    unit = re.sub(r"\s+", " ", unit.lower())
    unit = re.sub(r"^(calendar|business|working) ", r"\1 ", unit)
    if unit in ("%", "percent", "per cent"):
        return "%"
    if unit in ("dollars", "usd"):
        return "$"  # "one hundred thousand dollars" is the same kind of amount as "$100,000"
    return unit[:-1] if unit.endswith("s") and unit not in ("%",) else unit


def _words_value(text: str) -> float:
    total = 0
    for part in re.split(r"[\s-]+", text.lower()):
        value = _NUMBER_WORDS.get(part, 0)
        total = total * value if value == 100 and total else total + value
    return float(total)


def _parse_digits(text: str) -> float:
    cleaned = re.sub(r"[^\d.]", "", text)
    try:
        return float(cleaned)
    except ValueError:
        return 0.0


def _multiplier(text: str) -> float:
    lowered = text.lower()
    for word, factor in (("thousand", 1e3), ("million", 1e6), ("billion", 1e9)):
        if word in lowered:
            return factor
    return 1.0


def _date_value(phrase: str) -> float:
    """A date as a sortable number: 2020-11-16 -> 20201116."""
    lowered = phrase.lower()
    month = next(i for i, name in enumerate(_MONTHS, start=1) if name in lowered)
    numbers = [int(n) for n in re.findall(r"\d+", phrase)]
    year = next(n for n in numbers if n >= 1000)
    day = next((n for n in numbers if n < 1000), 0)
    return float(year * 10000 + month * 100 + day)


def quantities(text: str) -> list[Quantity]:
    """Amounts, durations, percentages and plain numbers, with the phrase as written."""
    out: list[Quantity] = []
    for m in _QUANTITY.finditer(text):
        if _REFERENCE.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        phrase = m.group().strip()
        line_head = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
        if m.group("digits") and not m.group("unit2") and not line_head.strip(" \t#*(>"):
            continue  # "12." or "8.3" opening a line is clause numbering, not a quantity
        if m.group("date"):
            out.append(Quantity(_date_value(phrase), "date", phrase, m.start()))
        elif m.group("money"):
            out.append(Quantity(_parse_digits(phrase) * _multiplier(phrase), "$", phrase, m.start()))
        elif m.group("words"):
            unit, paren = m.group("unit1"), m.group("paren")
            value = _parse_digits(paren) if paren else _words_value(m.group("words")) * _multiplier(m.group("scale"))
            if not unit and not paren and value < 2:
                continue  # "one of the parties", "no one": not a quantity
            kind = "$" if paren and paren.startswith("$") and not unit else _unit_key(unit)
            out.append(Quantity(value, kind, phrase, m.start()))
        else:
            value = _parse_digits(m.group("digits")) * _multiplier(phrase)
            out.append(Quantity(value, _unit_key(m.group("unit2")), phrase, m.start()))
    return _restated(text, out)


_OPEN = re.compile(r"\s*\(\s*")
_CLOSE = re.compile(r"\s*\)")


def _restated(text: str, found: list[Quantity]) -> list[Quantity]:
    """An amount followed by itself in other words, in brackets ("$100,000 (one hundred thousand dollars)",
    "One Hundred Thousand Dollars ($100,000)"), is one quantity: the phrase runs to the closing bracket."""
    out: list[Quantity] = []
    for q in found:
        last = out[-1] if out else None
        close = _CLOSE.match(text, q.end)
        if (
            last is not None
            and close is not None
            and _OPEN.fullmatch(text, last.end, q.start)
            and last.value == q.value
            and (last.unit == q.unit or "" in (last.unit, q.unit))
        ):
            phrase = text[last.start : close.end()]
            out[-1] = Quantity(last.value, last.unit or q.unit, phrase, last.start)
        else:
            out.append(q)
    return out
