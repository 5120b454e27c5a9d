"""A modified clause's redline: the compared text as written, the standard's lost words struck, the new words
underlined, and nothing marked that only differs in markup."""

from __future__ import annotations

import itertools
import random

import pytest

from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.analysis.token_usage import TokenUsage
from shared.comparison import findings
from shared.comparison.models import (
    AnalyzedComparison,
    ClauseFinding,
    ComparisonResult,
    ComparisonTask,
    ContractComparison,
    RedlineRun,
)
from shared.comparison.redline import add_redlines, redline
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.text.markup import comparable
from tests.support.contracts import sample


def marked(runs: list[RedlineRun]) -> str:
    return "".join(
        r.text if r.op == "equal" else f"[-{r.text}-]" if r.op == "delete" else f"{{+{r.text}+}}" for r in runs
    )


def compared_text(runs: list[RedlineRun]) -> str:
    return "".join(r.text for r in runs if r.op != "delete")


def standard_text(runs: list[RedlineRun]) -> str:
    return "".join(r.text for r in runs if r.op != "insert")


def test_a_changed_term_reads_as_word_changes() -> None:
    standard = "The Recipient's obligations survive for five (5) years after termination of this Agreement."
    compared = "The Recipient's obligations survive for two (2) years after termination of this Agreement."
    assert marked(redline(standard, compared)) == (
        "The Recipient's obligations survive for [-five (5)-]{+two (2)+} years after termination of this Agreement."
    )


def test_a_governing_law_finding_quoting_two_sentences_reads_as_its_two_changes() -> None:
    # The offline finding's excerpts are the law and the venue sentences: only the places are marked.
    task = ComparisonTask(standard=sample("nda_mutual_standard.md"), compared=sample("nda_mutual_variant_a.md"))
    law = next(f for f in OfflineAnalyzer().compare(task).output.clauses if f.title.startswith("Governing Law"))
    assert marked(redline(law.standard_excerpt, law.compared_excerpt)) == (
        "This Agreement is governed by the laws of the State of [-Delaware-]{+New York+}, without regard to its "
        "conflict of laws rules. Each Party irrevocably submits to the exclusive jurisdiction of the state and "
        "federal courts located in New [-Castle-]{+York+} County, [-Delaware-]{+New York+} for any dispute arising "
        "out of or relating to this Agreement."
    )


def test_deleted_and_added_words() -> None:
    standard = "The Recipient shall promptly notify the Discloser and confirm the destruction in writing."
    compared = "The Recipient shall notify the Discloser in writing within ten days."
    runs = redline(standard, compared)
    assert [r.op for r in runs].count("delete") >= 1 and [r.op for r in runs].count("insert") >= 1
    assert "promptly" in "".join(r.text for r in runs if r.op == "delete")
    assert "within ten days" in "".join(r.text for r in runs if r.op == "insert")
    assert "Recipient shall" in "".join(r.text for r in runs if r.op == "equal")
    assert compared_text(runs) == compared
    assert standard_text(runs) == standard


@pytest.mark.parametrize(
    ("standard", "compared"),
    [
        (
            "This **Agreement** is governed by the laws of Delaware.",
            "This Agreement is governed by the laws of Delaware.",
        ),
        ("4. Notices must be in writing.", "5. Notices must be in writing."),
        ("the Customer\u2019s data &amp; content", "the Customer's data & content"),
        (
            '<span class="header_2">Service</span> levels apply',
            '<span class="header_2" id="1">Service</span> levels apply',
        ),
        ("within  thirty\n(30)\u00a0days", "within thirty (30) days"),
    ],
)
def test_markup_only_differences_are_not_changes(standard: str, compared: str) -> None:
    runs = redline(standard, compared)
    assert [r.op for r in runs] == ["equal"]
    assert runs[0].text == compared  # shown as the compared contract writes it


def test_markup_around_a_real_change_stays_out_of_the_change() -> None:
    runs = redline("governed by the laws of **Delaware**.", "governed by the laws of **New York**.")
    assert [r.text.strip("* ") for r in runs if r.op == "delete"] == ["Delaware"]
    assert [r.text.strip("* ") for r in runs if r.op == "insert"] == ["New York"]
    assert compared_text(runs) == "governed by the laws of **New York**."


@pytest.mark.parametrize(
    ("standard", "compared", "deleted", "inserted"),
    [
        ("A fee of $1,000 is due.", "A fee of $1.000 is due.", ",", "."),
        ("paid, in full", "paid in full", ",", ""),
        ("The Customer may pay", "The customer may pay", "Customer", "customer"),
    ],
)
def test_punctuation_and_case_are_text(standard: str, compared: str, deleted: str, inserted: str) -> None:
    runs = redline(standard, compared)
    assert "".join(r.text for r in runs if r.op == "delete").strip() == deleted
    assert "".join(r.text for r in runs if r.op == "insert").strip() == inserted


def test_a_replacement_shares_the_space_before_it() -> None:
    runs = redline("the laws of Delaware apply", "the laws of Texas apply")
    assert [(r.op, r.text) for r in runs] == [
        ("equal", "the laws of "),
        ("delete", "Delaware"),
        ("insert", "Texas"),
        ("equal", " apply"),
    ]


def test_identical_and_empty_texts() -> None:
    assert [(r.op, r.text) for r in redline("Same words.", "Same words.")] == [("equal", "Same words.")]
    assert [(r.op, r.text) for r in redline("", "New clause.")] == [("insert", "New clause.")]
    assert [(r.op, r.text) for r in redline("Old clause.", "")] == [("delete", "Old clause.")]
    assert redline("", "") == []


def test_a_shared_stray_word_between_changes_folds_into_the_change() -> None:
    # A rewritten sentence is one change, not a string of fragments around every "the" and "of".
    standard = "Each party's total liability arising out of this Agreement is limited to the fees paid."
    compared = "The limits in this Article do not apply to a party's fraud or wilful misconduct."
    changes = [r for r in redline(standard, compared) if r.op != "equal"]
    assert len(changes) <= 4


def test_random_revisions_keep_both_texts() -> None:
    rng = random.Random(3)
    sentence = "the Customer shall pay each invoice within thirty (30) days of receipt, and **late** fees apply"
    vocabulary = sentence.split(" ")
    for _ in range(300):
        # Each starts with a word: "(30)" opening a line is list numbering, markup, not text.
        a = " ".join(["Fees", *(rng.choice(vocabulary) for _ in range(rng.randint(0, 25)))])
        b = " ".join(["Fees", *(rng.choice(vocabulary) for _ in range(rng.randint(0, 25)))])
        runs = redline(a, b)
        assert compared_text(runs) == b
        assert comparable(standard_text(runs)) == comparable(a)
        assert all(r.text for r in runs)
        assert all(x.op != y.op for x, y in itertools.pairwise(runs))


def _finding(status: str, standard: str = "", compared: str = "", **extra: object) -> ClauseFinding:
    return ClauseFinding.model_validate(
        {
            "title": "Term",
            "status": status,
            "severity": None if status == "matched" else "medium",
            "standard_excerpt": standard,
            "compared_excerpt": compared,
            "explanation": "x",
            **extra,
        }
    )


def _result(*clauses: ClauseFinding) -> ComparisonResult:
    comparison = ContractComparison(
        contract_id="b", contract_title="B", similarity=0.5, summary="s", clauses=list(clauses)
    )
    return ComparisonResult(standard_contract_id="a", model="offline", usage=TokenUsage(), comparisons=[comparison])


def test_only_modified_findings_get_a_redline() -> None:
    result = add_redlines(
        _result(
            _finding("matched"),
            _finding("modified", "within thirty (30) days", "within ten (10) days"),
            _finding("missing", "Remedies apply."),
            _finding("added", compared="No soliciting."),
        )
    )
    matched, modified, missing, added = result.comparisons[0].clauses
    assert matched.redline is None and missing.redline is None and added.redline is None
    assert modified.redline is not None
    assert marked(modified.redline) == "within [-thirty (30)-]{+ten (10)+} days"


def test_a_redline_already_there_is_kept() -> None:
    kept = [RedlineRun(op="equal", text="as the model saw it")]
    result = _result(_finding("modified", "a b", "a c", redline=kept))
    assert add_redlines(result).comparisons[0].clauses[0].redline == kept


def test_the_result_carries_redlines_and_the_standards_title() -> None:
    standard = ContractForAnalysis(
        contract_id="std", title="NDA Mutual Standard", clauses=[ClauseText(title="Term", text="five (5) years")]
    )
    comparison = ContractComparison(
        contract_id="b",
        contract_title="Variant",
        similarity=0.5,
        summary="s",
        clauses=[_finding("modified", "five (5) years", "two (2) years")],
    )
    result = findings.enhance(standard, [AnalyzedComparison(comparison=comparison, model="m", usage=TokenUsage())])
    assert result.standard_contract_title == "NDA Mutual Standard"
    assert result.comparisons[0].clauses[0].redline is not None
    dumped = result.model_dump(mode="json")["comparisons"][0]["clauses"][0]["redline"]
    assert dumped == [
        {"op": "delete", "text": "five (5)"},
        {"op": "insert", "text": "two (2)"},
        {"op": "equal", "text": " years"},
    ]


@pytest.mark.parametrize(
    ("standard", "compared", "expected"),
    [
        ("A &amp; B", "A and B", "A [-&amp;-]{+and+} B"),
        ("fees &#36;100", "fees $200", "fees $[-100-]{+200+}"),
        ("the caf&eacute; lease", "the bistro lease", "the [-caf&eacute;-]{+bistro+} lease"),
    ],
)
def test_an_html_entity_is_one_character_never_cut_in_two(standard: str, compared: str, expected: str) -> None:
    assert marked(redline(standard, compared)) == expected
