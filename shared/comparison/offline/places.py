"""Places named in a clause: the states, countries, counties and cities that governing-law and venue clauses name.

"State of Delaware", "New Castle County, Delaware" and "England and Wales" are found with their offsets, each keyed
by the place it names, so the comparison can tell that a clause moved from one jurisdiction to another. A county or
city qualified by its state ("New Castle County, Delaware", "New York, New York") is one place, not two: the
state there says where the county is, it is not a jurisdiction of its own.
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


# Known places that are cities, not states or countries; New York is both ("New York, New York": the city, then
# its state).
_CITIES = frozenset({"San Francisco", "Los Angeles", "New York"})
_CITY_AND_STATE = frozenset({"New York"})
# What joins a county or city to the state it is in: "New Castle County, Delaware".
_QUALIFIER = re.compile(r",[ \t]*(?:\n[ \t]*)?")
# "the State of Delaware" names Delaware: the same place as "Delaware" alone.
_STATE_OF = re.compile(r"^(?:the\s+)?(?:State|Commonwealth|Province)\s+of\s+", re.I)


@dataclass(frozen=True)
class Place:
    key: str
    display: str
    start: int
    end: int = 0
    local: bool = False  # a county or city (the venue's courts), not a state or country

    @property
    def name(self) -> str:
        """The place as a reader names it: "Delaware" for "the State of Delaware"."""
        return _STATE_OF.sub("", self.display)


def places(text: str) -> list[Place]:
    """Jurisdictions named in a clause: 'State of Delaware', 'New Castle County, Delaware', 'England and Wales'."""
    found: list[Place] = []
    for m in _PLACE_PATTERN.finditer(text):
        if m.group("name"):
            display = f"{m.group('kind')} of {m.group('name')}"
            local = m.group("kind") in ("County", "City")
        elif m.group("county"):
            display = f"{m.group('county')} County"
            local = True
        else:
            display = m.group("known")
            local = display in _CITIES
        found.append(Place(_key(display), display, m.start(), m.end(), local))
    return _qualified(text, found)


def _key(display: str) -> str:
    # "State of Delaware" and "Delaware" are the same place; "City of New York" is not the State of New York.
    return _STATE_OF.sub("", display).lower()


def _qualified(text: str, found: list[Place]) -> list[Place]:
    """A county or city followed by its state or country ("New Castle County, Delaware") as one place."""
    out: list[Place] = []
    for place in found:
        last = out[-1] if out else None
        qualifies = not place.local or place.display in _CITY_AND_STATE
        if last is not None and last.local and qualifies and _QUALIFIER.fullmatch(text[last.end : place.start]):
            display = f"{last.display}, {place.display}"
            out[-1] = Place(f"{last.key}, {place.key}", display, last.start, place.end, local=True)
        else:
            out.append(place)
    return out
