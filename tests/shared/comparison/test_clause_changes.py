"""The concrete changes a reviewing lawyer looks for first, each named once (shared/comparison/offline/)."""

from __future__ import annotations

from shared.comparison.offline.clause_changes import detect_changes, number_changes, obligation_changes, place_changes

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


def numbers(standard: str, edits: dict[str, str], concepts: frozenset[str] = frozenset()) -> list[str]:
    compared = standard
    for old, new in edits.items():
        assert old in compared, old
        compared = compared.replace(old, new)
    return [c.description for c in number_changes(standard, compared, concepts)]


def test_a_period_restated_later_in_the_clause_is_one_change() -> None:
    standard = (
        "Either party may terminate this Agreement on thirty (30) days' written notice. During such thirty-day "
        "period the parties shall negotiate in good faith."
    )
    assert numbers(standard, {"thirty (30)": "sixty (60)", "thirty-day": "sixty-day"}) == [
        "notice period changed from thirty (30) days to sixty (60) days"
    ]


def test_an_amount_in_words_and_figures_is_one_amount() -> None:
    figures_first = "Each party's liability shall not exceed $100,000 (one hundred thousand dollars)."
    assert numbers(figures_first, {"$100,000 (one hundred thousand dollars)": "$50,000 (fifty thousand dollars)"}) == [
        "liability cap changed from $100,000 (one hundred thousand dollars) to $50,000 (fifty thousand dollars)"
    ]
    words_first = "Each party's liability shall not exceed One Hundred Thousand Dollars ($100,000)."
    assert numbers(words_first, {"One Hundred Thousand Dollars ($100,000)": "Fifty Thousand Dollars ($50,000)"}) == [
        "liability cap changed from One Hundred Thousand Dollars ($100,000) to Fifty Thousand Dollars ($50,000)"
    ]


def test_the_same_change_written_twice_is_named_once() -> None:
    standard = "Late amounts bear interest at 1.5% per month. The 1.5% rate applies from the due date."
    assert numbers(standard, {"1.5%": "2%"}) == ["interest rate changed from 1.5% to 2%"]
    survival = "The obligations survive for five (5) years. Obligations as to trade secrets survive for 5 years."
    assert numbers(survival, {"five (5) years": "two (2) years", "5 years": "2 years"}) == [
        "survival period changed from five (5) years to two (2) years"
    ]


def test_two_facts_with_the_same_numbers_stay_two() -> None:
    # The term and the renewal period are different terms of the deal, even when both were twelve months.
    standard = "The initial term is twelve (12) months. It renews for successive renewal periods of twelve (12) months."
    assert numbers(standard, {"twelve (12)": "six (6)"}) == [
        "term changed from twelve (12) months to six (6) months",
        "renewal period changed from twelve (12) months to six (6) months",
    ]


def test_what_an_added_sub_clause_says_is_not_named_again_but_keeps_its_weight() -> None:
    standard = "2.1 Scope. Provider performs the Services.\n\n2.2 Staff. Provider assigns qualified staff."
    compared = (
        "2.1 Scope. Provider performs the Services.\n\n2.2 Travel. Customer reimburses travel expenses within "
        "thirty (30) days.\n\n2.3 Staff. Provider assigns qualified staff."
    )
    changes = detect_changes(standard, compared, frozenset())
    assert [(c.description, c.high) for c in changes] == [("sub-clause “Travel” added", True)]
    # A change outside it is still named.
    edited = compared.replace("qualified staff", "qualified staff within ten (10) days")
    assert [c.description for c in detect_changes(standard, edited, frozenset())] == [
        "sub-clause “Travel” added",
        "period of ten (10) days added",
    ]


def test_a_prohibition_lifted_is_one_change_not_a_weakening_and_a_negation() -> None:
    standard = "The Receiving Party shall not disclose Confidential Information to any third party."
    compared = standard.replace("shall not disclose", "may disclose")
    assert [c.description for c in obligation_changes(standard, compared)] == [
        "prohibition lifted: “The Receiving Party shall not disclose Confidential Information” now reads “The "
        "Receiving Party may disclose Confidential Information”"
    ]
    assert [c.description for c in obligation_changes(compared, standard)] == [
        "prohibition added: “The Receiving Party may disclose Confidential Information” now reads “The Receiving "
        "Party shall not disclose Confidential Information”"
    ]
    # A duty made optional, and a "not" inserted alone, are named as before.
    duty = "The Receiving Party shall protect the information."
    assert [c.description for c in obligation_changes(duty, duty.replace("shall", "may"))] == [
        "obligation weakened from “The Receiving Party shall protect the information” to “The Receiving Party may "
        "protect the information”"
    ]
    assert [c.description for c in obligation_changes(duty, duty.replace("shall", "shall not"))] == [
        "negation inserted: “Receiving Party shall not protect the information”"
    ]
