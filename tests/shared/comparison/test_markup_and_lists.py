"""Markup is not meaning, and a list is compared item by item: what a reviewing lawyer expects of a redline."""

from __future__ import annotations

import pytest

from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.comparison.models import ClauseFinding, ComparisonTask
from tests.support.contracts import contract, from_text

FEES = (
    "Customer will pay all fees within thirty (30) days of the invoice date. Late amounts bear interest at one "
    "percent (1%) per month. Fees are non-refundable except as stated in this Agreement."
)
OTHER = ("Notices", "Notices must be in writing and are effective when delivered to the address above.")


def compare_fees(analyzer: OfflineAnalyzer, standard: str, compared: str, title: str = "Fees") -> ClauseFinding:
    std = contract("std", [(title, standard), OTHER])
    other = contract("other", [(title, compared), OTHER])
    result = analyzer.compare(ComparisonTask(standard=std, compared=other)).output
    return next(f for f in result.clauses if f.title == title)


@pytest.mark.parametrize(
    "compared",
    [
        # HTML spans, ids and entities
        FEES.replace("Customer", '<span class="coverpage_link" id="c1">Customer</span>'),
        FEES.replace("fees within", "fees&nbsp;within"),
        # Markdown emphasis and links, heading marks
        FEES.replace("non-refundable", "**non-refundable**").replace("this Agreement", "[this Agreement](#terms)"),
        "### " + FEES,
        # quotes, dashes, whitespace
        FEES.replace("non-refundable", "non\u2011refundable").replace(". ", ".\n\n   "),
        # punctuation only, letter case only
        FEES.replace("invoice date.", "invoice date;").replace("Late amounts", "late amounts"),
        # a spelling fix and a doubled word
        FEES.replace("refundable", "refundble"),
        FEES.replace("within thirty", "within within thirty"),
    ],
)
def test_markup_typography_punctuation_and_spelling_alone_are_matched(analyzer: OfflineAnalyzer, compared: str) -> None:
    finding = compare_fees(analyzer, FEES, compared)
    assert (finding.status, finding.severity) == ("matched", None), finding.explanation
    assert "only" in finding.explanation.lower()  # "Formatting only ..." / "Formatting and spelling only ..."


def test_a_change_of_meaning_under_markup_is_still_found_and_quoted_verbatim(analyzer: OfflineAnalyzer) -> None:
    marked = '<span class="x">Customer</span> will pay all fees within **sixty (60)** days'
    compared = FEES.replace("Customer will pay all fees within thirty (30) days", marked)
    finding = compare_fees(analyzer, FEES, compared)
    assert (finding.status, finding.severity) == ("modified", "high")
    assert "thirty (30) days" in finding.explanation and "sixty (60)" in finding.explanation
    assert finding.compared_excerpt in compared  # the excerpt is the text as written, markup and all
    assert "**sixty (60)**" in finding.compared_excerpt


def test_renumbered_clauses_and_cross_references_to_the_same_clause_are_formatting() -> None:
    standard = "# Terms\n\n1. **Fees**. Pay monthly.\n\n2. **Term**. As in Section 1 (Fees), one year.\n"
    compared = (
        "# Terms\n\n1. **Scope**. Services.\n\n2. **Fees**. Pay monthly.\n\n"
        "3. **Term**. As in Section 2 (Fees), one year.\n"
    )
    result = OfflineAnalyzer().compare(
        ComparisonTask(standard=from_text("a", standard), compared=from_text("b", compared))
    )
    by_title = {f.title: f for f in result.output.clauses}
    assert by_title["Term"].status == "matched", by_title["Term"].explanation
    assert by_title["Fees"].status == "matched"
    assert by_title["Scope"].status == "added"


def test_a_cross_reference_that_now_points_elsewhere_is_a_change() -> None:
    standard = "1. **Fees**. Pay.\n\n2. **Confidentiality**. Keep secrets.\n\n3. **Liability**. Except for Section 2.\n"
    compared = "1. **Fees**. Pay.\n\n2. **Confidentiality**. Keep secrets.\n\n3. **Liability**. Except for Section 1.\n"
    result = OfflineAnalyzer().compare(
        ComparisonTask(standard=from_text("a", standard), compared=from_text("b", compared))
    )
    liability = next(f for f in result.output.clauses if f.title == "Liability")
    assert (liability.status, liability.severity) == ("modified", "high")
    assert "Section 2" in liability.explanation and "Section 1" in liability.explanation
    assert "confidentiality" in liability.explanation and "fees" in liability.explanation


DEFINITIONS = """**"Affiliate"** means any entity that controls a party.

**"Fees"** means the fees Customer pays for the Service.

**"Service"** means GitHub's hosted service."""


def test_a_definition_added_to_a_definitions_list_is_named(analyzer: OfflineAnalyzer) -> None:
    compared = DEFINITIONS.replace(
        '**"Service"**', '**"Order Form"** means the documentation used to order the Products.\n\n**"Service"**'
    )
    finding = compare_fees(analyzer, DEFINITIONS, compared, title="Definitions")
    assert finding.status == "modified"
    assert finding.explanation.startswith("Item added: definition of \u201cOrder Form\u201d")


def test_a_removed_and_a_reworded_item_are_named(analyzer: OfflineAnalyzer) -> None:
    items = [
        "You are responsible for the security of your account.",
        "You may not use the Services for any illegal purpose.",
        "You must be a human. Accounts registered by bots are not permitted.",
        "One person may not maintain more than one free account.",
    ]
    standard = "\n".join(f"{i}. {text}" for i, text in enumerate(items, start=1))
    edited = [items[0], items[2].replace("bots", "bots or scripts"), items[3]]
    compared = "\n".join(f"{i}. {text}" for i, text in enumerate(edited, start=1))
    finding = compare_fees(analyzer, standard, compared, title="Account Terms")
    assert finding.status == "modified"
    explanation = finding.explanation.lower()
    assert "item removed: \u201cyou may not use the services for any illegal purpose.\u201d" in explanation
    assert "item reworded: \u201cyou must be a human." in explanation


def test_items_that_only_moved_or_were_renumbered_are_matched(analyzer: OfflineAnalyzer) -> None:
    items = [
        "You are responsible for the security of your account.",
        "You may not use the Services for any illegal purpose.",
        "You must be a human.",
    ]
    standard = "\n".join(f"{i}. {text}" for i, text in enumerate(items, start=1))
    moved = "\n".join(f"{i}. {text}" for i, text in enumerate([items[2], items[0], items[1]], start=4))
    finding = compare_fees(analyzer, standard, moved, title="Account Terms")
    assert (finding.status, finding.severity) == ("matched", None), finding.explanation
    bullets = "\n".join(f"* {text}" for text in items)
    assert compare_fees(analyzer, standard, bullets, title="Account Terms").status == "matched"


def test_a_changed_date_is_named_but_not_escalated(analyzer: OfflineAnalyzer) -> None:
    standard = "*Last updated: April 24, 2020*\n\nThese terms govern your use of the Services."
    finding = compare_fees(analyzer, standard, standard.replace("April 24", "May 7"), title="Terms of Service")
    assert finding.status == "modified" and finding.severity == "low"
    assert "April 24, 2020" in finding.explanation and "May 7, 2020" in finding.explanation


def test_alignment_reads_meaning_as_well_as_shared_terms(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.comparison.offline import alignment
    from shared.contracts.analysis import ClauseText

    standard = [
        ClauseText(
            title="Return of Information",
            text="Upon termination of this Agreement or upon the Disclosing Party's written request, the Receiving "
            "Party shall promptly return or destroy all Confidential Information and all copies, notes and extracts "
            "of it, and confirm the destruction in writing.",
        )
    ]
    compared = [
        ClauseText(
            title="Giving Back Materials",
            text="When the contract ends, or whenever the discloser asks, the recipient must quickly hand back or "
            "delete every document containing confidential information, including any copies and notes, and certify "
            "in writing that it has done so.",
        ),
        ClauseText(title="Payment", text="Customer shall pay each invoice within thirty days after receipt."),
    ]
    texts = [[c.title + " " + c.text for c in side] for side in (standard, compared)]
    meaning = alignment._meaning(*texts)
    assert meaning[0, 0] > 0 and meaning[0, 1] == 0  # the reworded clause means the same; payment does not
    with_meaning = {p.compared: p.score for p in alignment.align(standard, compared)}
    monkeypatch.setattr(alignment, "SEMANTIC_SHARE", 0.0)
    words_only = {p.compared: p.score for p in alignment.align(standard, compared)}
    assert with_meaning.get(0, 0.0) >= words_only.get(0, 0.0)


def test_alignment_is_not_misled_by_markup() -> None:
    from shared.comparison.offline.alignment import align
    from shared.contracts.analysis import ClauseText

    span = '<span class="coverpage_link">{}</span>'
    standard = [
        ClauseText(title="Fees", text=f"{span.format('Customer')} pays {span.format('Fees')} monthly."),
        ClauseText(title="Notices", text=f"{span.format('Provider')} sends notices by email."),
    ]
    compared = [
        ClauseText(title="Notices", text="Provider sends notices by email."),
        ClauseText(title="Fees", text="Customer pays Fees monthly."),
    ]
    assert [(p.standard, p.compared, round(p.text_similarity, 3)) for p in align(standard, compared)] == [
        (0, 1, 1.0),
        (1, 0, 1.0),
    ]
