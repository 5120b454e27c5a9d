"""The concrete changes a reviewing lawyer looks for first, each named once (shared/comparison/offline/)."""

from __future__ import annotations

from shared.comparison.offline.clause_changes import place_changes

LAW = "This Agreement is governed by the laws of the State of {law}. "
VENUE = "The state and federal courts located in {venue} have exclusive jurisdiction over any dispute."


def described(standard: str, compared: str) -> list[str]:
    return [c.description for c in place_changes(standard, compared)]


def test_a_county_and_its_state_are_one_venue() -> None:
    standard = LAW.format(law="Delaware") + VENUE.format(venue="New Castle County, Delaware")
    compared = LAW.format(law="New York") + VENUE.format(venue="New York County, New York")
    assert described(standard, compared) == [
        "governing law changed from Delaware to New York",
        "venue changed from New Castle County, Delaware to New York County, New York",
    ]


def test_only_the_county_changed_names_the_venue_whole() -> None:
    standard = LAW.format(law="Delaware") + VENUE.format(venue="New Castle County, Delaware")
    compared = LAW.format(law="Delaware") + VENUE.format(venue="Kent County, Delaware")
    assert described(standard, compared) == ["venue changed from New Castle County, Delaware to Kent County, Delaware"]


def test_a_venue_moved_while_the_same_state_still_governs_is_a_venue_change() -> None:
    # The standard names Delaware twice (law and courts); only the courts moved.
    standard = LAW.format(law="Delaware") + VENUE.format(venue="the State of Delaware")
    compared = LAW.format(law="Delaware") + VENUE.format(venue="the State of New York")
    assert described(standard, compared) == ["venue changed from Delaware to New York"]


def test_the_law_changed_while_the_courts_stay_put() -> None:
    standard = LAW.format(law="Delaware") + VENUE.format(venue="Wilmington, Delaware")
    compared = LAW.format(law="New York") + VENUE.format(venue="Wilmington, Delaware")
    assert described(standard, compared) == ["governing law changed from Delaware to New York"]


def test_one_sentence_naming_both_law_and_courts() -> None:
    standard = (
        "This Agreement is governed by the laws of the State of Washington, and the state and federal courts in "
        "King County, Washington have exclusive jurisdiction over any dispute arising from it."
    )
    compared = standard.replace("Washington", "Oregon").replace("King County", "Multnomah County")
    assert described(standard, compared) == [
        "governing law changed from Washington to Oregon",
        "venue changed from King County, Washington to Multnomah County, Oregon",
    ]
