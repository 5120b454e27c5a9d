"""What a citation quotes: the whole sentences that hold the answering fact, verbatim, never a piece cut by a
character budget; a long list is quoted by its whole items (shared/query/offline/quotes.py)."""

from __future__ import annotations

import re

from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.contracts.analysis import ContractForAnalysis
from shared.query.models import PerContractAnswer, QueryPartTask
from tests.support.contracts import contract

TERM_START = (
    "This Agreement begins on the Effective Date and continues for one (1) year unless either Party terminates it "
    "earlier on thirty (30) days' written notice to the other Party, provided that termination does not affect any "
    "right or obligation that accrued before the date of termination."
)
SURVIVAL = (
    "The Recipient's obligations under this Agreement with respect to Confidential Information disclosed during the "
    "term survive for two (2) years after expiration or termination of this Agreement, except that obligations with "
    "respect to trade secrets survive for as long as the information remains a trade secret under applicable law."
)
NDA = contract(
    "acme",
    [
        ("Governing Law", "This Agreement is governed by the laws of the State of Delaware."),
        ("Term", f"{TERM_START} {SURVIVAL}"),
    ],
    "Acme NDA",
)
# One sentence of 600 characters whose fact comes last.
LONG = (
    "If the Recipient or any of its Representatives is required by law, regulation, subpoena, court order or the "
    "rules of any securities exchange on which its shares are listed to disclose any Confidential Information, "
    "the Recipient shall, to the extent legally permitted, give the Discloser prompt written notice so that the "
    "Discloser may seek a protective order or another appropriate remedy, shall disclose only that portion of the "
    "Confidential Information that its counsel advises it is legally required to disclose, shall use reasonable "
    "efforts to obtain assurance that confidential treatment will be accorded to it, and shall give that notice "
    "no later than five (5) business days before the disclosure is made."
)
# A list whose items end without a full stop.
OBLIGATIONS = (
    "The Receiving Party shall:\n"
    "(a) use the Disclosing Party's Confidential Information solely for the Purpose and for no other purpose "
    "whatsoever, including any purpose that competes with the Disclosing Party's business;\n"
    "(b) not disclose Confidential Information to any person other than its employees, officers, professional "
    "advisers and contractors who need to know it for the Purpose and are bound by written obligations of "
    "confidentiality no less protective than these;\n"
    "(c) protect Confidential Information with at least the degree of care it uses for its own information of a "
    "similar nature, and in no event less than reasonable care;\n"
    "(d) notify the Disclosing Party in writing within ten (10) days of discovering any unauthorised use or "
    "disclosure of Confidential Information\n"
)
MSA = contract(
    "birch",
    [("Compelled Disclosure", LONG), ("Obligations", OBLIGATIONS), ("Notices", "Notices are sent by email.")],
    "Birch MSA",
)


def answer(analyzer: OfflineAnalyzer, question: str, scope: ContractForAnalysis) -> PerContractAnswer:
    task = QueryPartTask(question=question, part_index=0, contracts=[scope])
    (per,) = analyzer.answer_part(task).output.per_contract
    return per


def test_the_sentence_that_holds_the_fact_is_quoted_whole_and_first(analyzer: OfflineAnalyzer) -> None:
    per = answer(analyzer, "How long do the confidentiality obligations last?", NDA)
    assert per.citations[0].quote == SURVIVAL
    assert all(c.quote in (SURVIVAL, TERM_START, f"{TERM_START} {SURVIVAL}") for c in per.citations)


def test_a_question_of_two_facts_quotes_both_sentences_whole_and_states_both(analyzer: OfflineAnalyzer) -> None:
    task = QueryPartTask(
        question="How long does the agreement last, and how long does confidentiality survive?",
        part_index=0,
        contracts=[NDA],
    )
    result = analyzer.answer_part(task).output
    (per,) = result.per_contract
    assert "one (1) year" in per.answer and "two (2) years" in per.answer
    # The overall answer shows each contract's statements whole: it does not stop before "two (2) years".
    assert "two (2) years" in result.answer and "…" not in result.answer
    quoted = " ".join(c.quote for c in per.citations)
    assert TERM_START in quoted and SURVIVAL in quoted


def test_a_long_sentence_is_quoted_whole_to_the_fact_at_its_end(analyzer: OfflineAnalyzer) -> None:
    assert len(LONG) > 600
    per = answer(analyzer, "How much notice must the recipient give before a compelled disclosure?", MSA)
    assert per.citations[0].quote == LONG
    # The answer states the fact by its sentence, whole: not "Shall use reasonable efforts ... five (5) ...".
    assert per.answer == LONG


def test_a_list_without_full_stops_is_quoted_by_whole_items(analyzer: OfflineAnalyzer) -> None:
    per = answer(analyzer, "How soon must the recipient report an unauthorised disclosure?", MSA)
    first = per.citations[0]
    assert first.clause_title == "Obligations" and first.quote in OBLIGATIONS
    item = OBLIGATIONS[OBLIGATIONS.index("(d) notify") :].rstrip("\n")
    assert first.quote.endswith(item)
    # Whole items: the quote starts at the list's lead-in or at an item's marker.
    assert first.quote.startswith("The Receiving Party shall:") or re.match(r"\([a-d]\) ", first.quote)
    assert per.answer == (
        "Notify the Disclosing Party in writing within ten (10) days of discovering any unauthorised use or "
        "disclosure of Confidential Information."
    )


def test_a_heading_on_lines_of_its_own_is_not_quoted(analyzer: OfflineAnalyzer) -> None:
    text = (
        "13\\. Termination\n----------------\n\nWe may terminate your access to the Services at any time, with or "
        "without cause, on thirty (30) days' notice."
    )
    terms = contract("cedar", [("Termination", text), ("Fees", "Fees are due monthly.")], "Cedar Terms")
    per = answer(analyzer, "Can they terminate my access, and on what notice?", terms)
    assert per.citations[0].quote == (
        "We may terminate your access to the Services at any time, with or without cause, on thirty (30) days' notice."
    )
