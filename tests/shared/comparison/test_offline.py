"""What a reviewing lawyer checks in an offline comparison: the right status, severity and named change."""

from __future__ import annotations

import pytest

from shared.analysis.offline.analyzer import MODEL_NAME, OfflineAnalyzer
from shared.comparison.models import ClauseFinding, ComparisonTask, ContractComparison
from shared.comparison.selection import UnknownSelectedClauses
from shared.contracts.analysis import ContractForAnalysis
from shared.settings import Settings
from tests.shared.comparison.fixtures import NON_SOLICIT, STANDARD, edited
from tests.support.contracts import REFERENCE, contract, from_text, sample
from tests.support.prerequisites import require


def compare(
    analyzer: OfflineAnalyzer, standard: ContractForAnalysis, compared: ContractForAnalysis, **kw: object
) -> ContractComparison:
    reply = analyzer.compare(ComparisonTask(standard=standard, compared=compared, **kw))  # type: ignore[arg-type]
    assert reply.usage.llm_calls == 0
    assert reply.model == MODEL_NAME
    assert ContractComparison.model_validate_json(reply.raw) == reply.output
    return reply.output


def finding(result: ContractComparison, title: str) -> ClauseFinding:
    matches = [f for f in result.clauses if f.title == title]
    assert len(matches) == 1, [f.title for f in result.clauses]
    return matches[0]


STD = contract("std", STANDARD, "Standard NDA")


def test_identical_contracts_match_everywhere(analyzer: OfflineAnalyzer) -> None:
    result = compare(analyzer, STD, contract("same", STANDARD))
    assert [f.status for f in result.clauses] == ["matched"] * len(STANDARD)
    assert all(f.severity is None for f in result.clauses)
    assert result.similarity == pytest.approx(1.0)
    assert "7 matched" in result.summary


def test_governing_law_change_is_high_and_names_both_states(analyzer: OfflineAnalyzer) -> None:
    variant = edited({"Governing Law": ("State of Delaware", "State of New York")})
    law = finding(compare(analyzer, STD, contract("ny", variant)), "Governing Law")
    assert (law.status, law.severity) == ("modified", "high")
    assert "Delaware" in law.explanation and "New York" in law.explanation
    assert "Delaware" in law.standard_excerpt and "New York" in law.compared_excerpt


def test_confidentiality_term_change_names_both_durations(analyzer: OfflineAnalyzer) -> None:
    variant = edited({"Term": ("five (5) years after", "two (2) years after")})
    term = finding(compare(analyzer, STD, contract("short", variant)), "Term")
    assert (term.status, term.severity) == ("modified", "high")
    assert "five (5) years" in term.explanation and "two (2) years" in term.explanation
    assert "confidentiality" in term.explanation.lower()
    assert "five (5) years" in term.standard_excerpt and "two (2) years" in term.compared_excerpt


def test_deleted_clause_is_missing_and_high_when_high_risk(analyzer: OfflineAnalyzer) -> None:
    variant = [c for c in STANDARD if c[0] != "Limitation of Liability"]
    result = compare(analyzer, STD, contract("nocap", variant))
    cap = finding(result, "Limitation of Liability")
    assert (cap.status, cap.severity) == ("missing", "high")
    assert "Limitation of Liability (missing)" in result.summary
    assert result.similarity < 1.0


def test_inserted_non_solicit_is_added_at_the_end(analyzer: OfflineAnalyzer) -> None:
    variant = [*STANDARD[:3], NON_SOLICIT, *STANDARD[3:]]
    result = compare(analyzer, STD, contract("solicit", variant))
    assert result.clauses[-1].title == "Non-Solicitation"
    assert (result.clauses[-1].status, result.clauses[-1].severity) == ("added", "high")
    assert [f.title for f in result.clauses[:-1]] == [t for t, _ in STANDARD]
    assert "1 added" in result.summary


def test_reformatting_alone_is_matched(analyzer: OfflineAnalyzer) -> None:
    title, text = STANDARD[1]
    reformatted = "2.  **" + text.upper().replace(". ", ".\n\n").replace("shall", "will") + "**"
    variant = [(t, reformatted if t == title else x) for t, x in STANDARD]
    assert finding(compare(analyzer, STD, contract("fmt", variant)), "Obligations").status == "matched"


def test_renamed_and_moved_clauses_still_align(analyzer: OfflineAnalyzer) -> None:
    renamed = {"Governing Law": "Choice of Law", "Limitation of Liability": "Liability Cap", "Term": "Duration"}
    variant = [(renamed.get(t, t), x) for t, x in reversed(STANDARD)]
    result = compare(analyzer, STD, contract("moved", variant))
    assert [f.status for f in result.clauses] == ["matched"] * len(STANDARD)
    assert "Choice of Law" in finding(result, "Governing Law").explanation


def test_obligation_and_negation_flips_are_high(analyzer: OfflineAnalyzer) -> None:
    variant = edited(
        {
            "Obligations": ("Party shall protect", "Party may protect"),
            "Entire Agreement": ("supersedes all", "does not supersede"),
        }
    )
    result = compare(analyzer, STD, contract("flip", variant))
    obligations = finding(result, "Obligations")
    assert (obligations.status, obligations.severity) == ("modified", "high")
    assert "shall" in obligations.explanation and "may" in obligations.explanation
    entire = finding(result, "Entire Agreement")
    assert entire.severity == "high" and "negation inserted" in entire.explanation.lower()


def test_removed_liability_cap_is_named(analyzer: OfflineAnalyzer) -> None:
    variant = edited(
        {
            "Limitation of Liability": (
                "In no event shall either party's aggregate liability under this Agreement exceed $100,000. ",
                "",
            )
        }
    )
    cap = finding(compare(analyzer, STD, contract("uncapped", variant)), "Limitation of Liability")
    assert (cap.status, cap.severity) == ("modified", "high")
    assert "liability cap" in cap.explanation.lower() and "$100,000" in cap.explanation


def test_minor_wording_in_boilerplate_is_low(analyzer: OfflineAnalyzer) -> None:
    variant = edited({"Notices": ("are effective when delivered", "take effect upon delivery")})
    notices = finding(compare(analyzer, STD, contract("reworded", variant)), "Notices")
    assert (notices.status, notices.severity) == ("modified", "low")


def test_substantive_edit_of_ordinary_clause_is_medium(analyzer: OfflineAnalyzer) -> None:
    variant = edited(
        {
            "Definitions": (
                "whether orally or in writing, that is marked confidential or would reasonably be understood to "
                "be confidential",
                "only if it is marked confidential in writing at the time of disclosure",
            )
        }
    )
    definitions = finding(compare(analyzer, STD, contract("narrow", variant)), "Definitions")
    assert (definitions.status, definitions.severity) == ("modified", "medium")


def test_clauses_mode_reports_only_selected_clauses(analyzer: OfflineAnalyzer) -> None:
    variant = edited({"Governing Law": ("State of Delaware", "State of Texas")})
    result = compare(analyzer, STD, contract("tx", variant), mode="clauses", selected_clauses=["choice of law", "TERM"])
    assert [f.title for f in result.clauses] == ["Term", "Governing Law"]
    assert finding(result, "Governing Law").severity == "high"


@pytest.mark.parametrize("selection", [None, []])
def test_clauses_mode_without_selection_assesses_every_standard_clause_once(
    analyzer: OfflineAnalyzer, selection: list[str] | None
) -> None:
    # The vendor renames and moves Governing Law, drops Limitation of Liability and inserts a Non-Solicitation.
    renamed = [("Choice of Law" if t == "Governing Law" else t, x) for t, x in STANDARD]
    moved = [renamed[4], *renamed[:3], NON_SOLICIT, *renamed[5:]]
    vendor = contract("vendor", moved)

    result = compare(analyzer, STD, vendor, mode="clauses", selected_clauses=selection)

    assert [f.title for f in result.clauses] == [t for t, _ in STANDARD]  # each once, in the standard's order
    assert (finding(result, "Limitation of Liability").status, finding(result, "Governing Law").status) == (
        "missing",
        "matched",  # found under its other heading, wherever it sits
    )
    assert "added" not in {f.status for f in result.clauses}
    assert "Non-Solicitation" not in result.summary and "added" not in result.summary
    summary = "Against “Standard NDA”, 7 clauses of the standard reviewed: 6 matched, 0 modified, 1 missing."
    assert result.summary.startswith(summary)
    # The whole-document comparison of the same pair is the one that reports the inserted clause.
    full = compare(analyzer, STD, vendor)
    assert (finding(full, "Non-Solicitation").status, len(full.clauses)) == ("added", len(STANDARD) + 1)


def test_clauses_mode_with_selection_reports_no_added_clause_either(analyzer: OfflineAnalyzer) -> None:
    # An inserted clause whose heading resembles a selected title is still not the standard's clause.
    variant = contract("v", [*STANDARD, ("Governing Law of Disputes", "Disputes go to arbitration in Paris.")])
    result = compare(analyzer, STD, variant, mode="clauses", selected_clauses=["Governing Law"])
    assert [(f.title, f.status) for f in result.clauses] == [("Governing Law", "matched")]


def test_a_selected_title_the_standard_lacks_is_named(analyzer: OfflineAnalyzer) -> None:
    with pytest.raises(UnknownSelectedClauses) as raised:
        compare(analyzer, STD, contract("v", STANDARD), mode="clauses", selected_clauses=["Term", "Force Majeure"])
    assert raised.value.unknown == ["Force Majeure"]
    assert "'Force Majeure'" in raised.value.message and "'std'" in raised.value.message


def test_results_are_deterministic(analyzer: OfflineAnalyzer) -> None:
    variant = contract("v", [*edited({"Term": ("five (5)", "three (3)")})[1:], NON_SOLICIT])
    assert compare(analyzer, STD, variant) == compare(analyzer, STD, variant)


def test_context_tokens_come_from_settings() -> None:
    analyzer = OfflineAnalyzer(Settings(llm_context_tokens_primary=1000, llm_context_tokens_secondary=500))
    assert analyzer.provider == "offline"
    assert (analyzer.context_tokens("primary"), analyzer.context_tokens("secondary")) == (1000, 500)
    assert analyzer.model_name("secondary") == "offline-analyzer-v1"


# --- sample contracts (sample_data/README.md lists their differences) -----------------------------------------


def test_sample_nda_variant_a_clause_by_clause(analyzer: OfflineAnalyzer) -> None:
    standard = sample("nda_mutual_standard.md")
    result = compare(analyzer, standard, sample("nda_mutual_variant_a.md"), mode="clauses")
    by_status = {f.title: (f.status, f.severity) for f in result.clauses}
    assert [f.title for f in result.clauses] == [c.title for c in standard.clauses]
    assert by_status["Governing Law and Jurisdiction"] == ("modified", "high")
    assert "Non-Solicitation" not in by_status  # variant A's own addition: reported by full mode only


def test_sample_nda_variant_b_clause_by_clause_reports_the_missing_remedies(analyzer: OfflineAnalyzer) -> None:
    standard = sample("nda_mutual_standard.md")
    result = compare(analyzer, standard, sample("nda_mutual_variant_b.txt"), mode="clauses")
    assert [f.title for f in result.clauses] == [c.title for c in standard.clauses]
    remedies = finding(result, "Remedies")
    assert (remedies.status, remedies.compared_excerpt) == ("missing", "")
    assert remedies.standard_excerpt


def test_sample_nda_variant_a(analyzer: OfflineAnalyzer) -> None:
    result = compare(analyzer, sample("nda_mutual_standard.md"), sample("nda_mutual_variant_a.md"))
    by_status = {f.title: (f.status, f.severity) for f in result.clauses}
    assert by_status["Term and Duration of Obligations"] == ("modified", "high")
    assert by_status["Governing Law and Jurisdiction"] == ("modified", "high")
    assert by_status["Non-Solicitation"] == ("added", "high")
    assert by_status["Notices"] in {("matched", None), ("modified", "low")}
    others = {
        t: s
        for t, s in by_status.items()
        if t
        not in {"Term and Duration of Obligations", "Governing Law and Jurisdiction", "Non-Solicitation", "Notices"}
    }
    assert set(others.values()) == {("matched", None)}
    law = finding(result, "Governing Law and Jurisdiction").explanation
    assert "Delaware" in law and "New York" in law


def test_sample_nda_variant_a_governing_law_names_each_change_once(analyzer: OfflineAnalyzer) -> None:
    # The law and the venue are two facts; "Delaware" qualifying the county is not a third one.
    result = compare(analyzer, sample("nda_mutual_standard.md"), sample("nda_mutual_variant_a.md"))
    assert finding(result, "Governing Law and Jurisdiction").explanation == (
        "Governing law changed from Delaware to New York; venue changed from New Castle County, Delaware to "
        "New York County, New York."
    )


def test_sample_nda_variant_a_governing_law_quotes_both_sentences_it_talks_about(analyzer: OfflineAnalyzer) -> None:
    result = compare(analyzer, sample("nda_mutual_standard.md"), sample("nda_mutual_variant_a.md"))
    law = finding(result, "Governing Law and Jurisdiction")
    # The explanation names the law and the venue: each excerpt is both sentences, whole and verbatim.
    assert law.standard_excerpt == (
        "This Agreement is governed by the laws of the State of Delaware, without regard to its conflict of laws "
        "rules. Each Party irrevocably submits to the exclusive jurisdiction of the state and federal courts "
        "located in New Castle County, Delaware for any dispute arising out of or relating to this Agreement."
    )
    assert law.compared_excerpt == (
        "This Agreement is governed by the laws of the State of New York, without regard to its conflict of laws "
        "rules. Each Party irrevocably submits to the exclusive jurisdiction of the state and federal courts "
        "located in New York County, New York for any dispute arising out of or relating to this Agreement."
    )


def test_excerpts_quote_each_named_change_and_mark_what_lies_between(analyzer: OfflineAnalyzer) -> None:
    # Two changes two sentences apart: both quoted, the unchanged sentence between them left out as "…".
    standard = (
        "Fees are due within thirty (30) days of the invoice. Invoices are sent by email. Late amounts bear "
        "interest at one percent (1%) per month. Disputed amounts are raised in writing."
    )
    compared = standard.replace("thirty (30) days", "sixty (60) days").replace("one percent (1%)", "two percent (2%)")
    fees = finding(compare(analyzer, contract("a", [("Fees", standard)]), contract("b", [("Fees", compared)])), "Fees")
    assert "thirty (30) days" in fees.explanation and "one percent" in fees.explanation
    assert fees.standard_excerpt == (
        "Fees are due within thirty (30) days of the invoice. … Late amounts bear interest at one percent (1%) per "
        "month."
    )
    assert fees.compared_excerpt == (
        "Fees are due within sixty (60) days of the invoice. … Late amounts bear interest at two percent (2%) per "
        "month."
    )


def test_sample_nda_variant_b(analyzer: OfflineAnalyzer) -> None:
    result = compare(analyzer, sample("nda_mutual_standard.md"), sample("nda_mutual_variant_b.txt"))
    assert finding(result, "Remedies").status == "missing"
    ret = finding(result, "Return or Destruction")
    assert ret.severity == "high" and "thirty (30) days" in ret.explanation and "ten (10) days" in ret.explanation
    assert "officer" in ret.explanation
    assert finding(result, "Governing Law and Jurisdiction").status == "matched"


def test_sample_msa_variant_a(analyzer: OfflineAnalyzer) -> None:
    result = compare(analyzer, sample("msa_standard.txt"), sample("msa_variant_a.txt"))
    liability = finding(result, "LIMITATION OF LIABILITY")
    # The cap, its twelve months and the sub-clause that held them are one removal, named once.
    assert liability.severity == "high" and liability.explanation == "Sub-clause “Cap on Liability” removed."
    assert "twelve (12) months" in liability.standard_excerpt
    payment = finding(result, "FEES AND PAYMENT")
    assert "thirty (30) days" in payment.explanation and "sixty (60) days" in payment.explanation
    services = finding(result, "SERVICES")
    assert services.severity == "high"
    assert services.explanation == "Sub-clause “Non-Solicitation of Personnel” added."
    assert "twelve (12) months" in services.compared_excerpt
    assert finding(result, "GENERAL").severity in {None, "low"}


# --- the Common Paper mutual NDA (reference data, read at test time) -------------------------------------------


def test_common_paper_nda_against_an_edited_copy(analyzer: OfflineAnalyzer) -> None:
    path = REFERENCE / "commonpaper-mutual-nda-v1.md"
    require(path.exists(), f"reference data not available: {path} (../shared/data beside the repo)")
    text = path.read_text(encoding="utf-8")
    variant = text.replace("laws of the State of Governing Law", "laws of the State of California")
    variant = variant.replace("The Receiving Party shall:", "The Receiving Party may:")
    start = variant.index("8. **Disclaimer**")
    variant = variant[:start] + variant[variant.index("9. **Governing Law") :]
    assert variant != text
    result = compare(analyzer, from_text("cp", text), from_text("cp-edited", variant))
    statuses = {f.title: f for f in result.clauses}
    law = next(f for t, f in statuses.items() if "Governing Law" in t)
    assert law.severity == "high" and "California" in law.explanation
    use = next(f for t, f in statuses.items() if t.startswith("Use and Protection"))
    assert use.severity == "high" and "“" in use.explanation and "may" in use.explanation
    assert next(f for t, f in statuses.items() if t.startswith("Disclaimer")).status == "missing"
    unchanged = [f for t, f in statuses.items() if t.startswith(("Exceptions", "Equitable", "General"))]
    assert unchanged and all(f.status == "matched" for f in unchanged)
