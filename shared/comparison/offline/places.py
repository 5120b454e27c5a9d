"""Places named in a clause: the states, countries, counties and cities that governing-law and venue clauses name.

"State of Delaware", "New Castle County" and "England and Wales" are found with their offsets, keyed by their full
form, so the comparison can tell that a clause moved from one jurisdiction to another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.analysis.offline.similarity import wordlist

_PLACES = [
    *wordlist(
        "Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia Hawaii Idaho "
        "Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota Mississippi "
        "Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee Texas Utah Vermont Virginia "
        "Washington Wisconsin Wyoming England Scotland Ireland Wales Canada Ontario Quebec Alberta Australia "
        "Singapore Germany France Netherlands Switzerland Japan India Israel Luxembourg Sweden Spain Italy"
    ),
    "New Hampshire",
    "New Jersey",
    "New Mexico",
    "New York",
    "North Carolina",
    "North Dakota",
    "Rhode Island",
    "South Carolina",
    "South Dakota",
    "West Virginia",
    "District of Columbia",
    "England and Wales",
    "Northern Ireland",
    "United Kingdom",
    "United States",
    "British Columbia",
    "New South Wales",
    "Hong Kong",
    "Cayman Islands",
    "San Francisco",
    "Los Angeles",
]
_CAP_WORD = r"[A-Z][A-Za-z'-]+"
_PLACE_PATTERN = re.compile(
    rf"\b(?:the\s+)?(?P<kind>State|Commonwealth|Province|Republic|Kingdom|County|City)\s+of\s+"
    rf"(?P<name>{_CAP_WORD}(?:\s+(?:and\s+)?{_CAP_WORD})*)"
    rf"|\b(?P<county>{_CAP_WORD}(?:\s+{_CAP_WORD})*)\s+County\b"
    rf"|\b(?P<known>{'|'.join(re.escape(p) for p in sorted(_PLACES, key=len, reverse=True))})\b"
)


@dataclass(frozen=True)
class Place:
    key: str
    display: str
    start: int


def places(text: str) -> list[Place]:
    """Jurisdictions named in a clause: 'State of Delaware', 'New Castle County', 'England and Wales'."""
    out: list[Place] = []
    for m in _PLACE_PATTERN.finditer(text):
        if m.group("name"):
            display = f"{m.group('kind')} of {m.group('name')}"
        elif m.group("county"):
            display = f"{m.group('county')} County"
        else:
            display = m.group("known")
        # Keyed by the full form: "State of Delaware" -> "State of New York" is a change even when the
        # clause still mentions "Wilmington, Delaware" elsewhere.
        out.append(Place(display.lower(), display, m.start()))
    return out
