"""Answers a lawyer can read: each part of a question answered for each contract by the fact its quote states."""

from __future__ import annotations

import pytest

from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.query.models import QueryPartTask
from shared.query.offline.question import question_parts
from tests.support.contracts import contract, sample

NDA = contract(
    "acme",
    [
        ("Governing Law", "This Agreement is governed by the laws of the State of Delaware."),
        (
            "Term",
            "This Agreement lasts two (2) years. The obligations of confidentiality survive for five (5) years after "
            "termination of this Agreement.",
        ),
        ("Notices", "Notices must be sent by email."),
    ],
    "Acme NDA",
)
MSA = contract(
    "birch",
    [
        ("Fees", "Customer shall pay all invoices within thirty (30) days of receipt."),
        ("Governing Law", "This Agreement is governed by the laws of the State of New York."),
    ],
    "Birch MSA",
)


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "What is the governing law, and how long do the confidentiality obligations last?",
            ["What is the governing law?", "how long do the confidentiality obligations last?"],
        ),
        ("Which law applies and where are disputes heard?", ["Which law applies?", "where are disputes heard?"]),
        ("Is the cap mutual? Does it cover fees?", ["Is the cap mutual?", "Does it cover fees?"]),
        # a noun joined by "and" is one question
        ("What is the governing law and the exclusive forum?", ["What is the governing law and the exclusive forum?"]),
        ("Can we get money back if we cancel?", ["Can we get money back if we cancel?"]),
    ],
)
def test_a_question_is_read_part_by_part(question: str, parts: list[str]) -> None:
    assert question_parts(question) == parts


def test_each_part_is_answered_for_each_contract_with_the_fact_and_its_quote(analyzer: OfflineAnalyzer) -> None:
    question = "What is the governing law, and how long do the confidentiality obligations last?"
    answer = analyzer.answer_part(QueryPartTask(question=question, part_index=0, contracts=[NDA, MSA])).output
    acme, birch = answer.per_contract
    assert acme.answer == (
        "Delaware law; the obligations of confidentiality survive for five (5) years after termination of this "
        "Agreement."
    )
    assert [c.clause_title for c in acme.citations][:2] == ["Governing Law", "Term"]
    assert "State of Delaware" in acme.citations[0].quote and "five (5) years" in acme.citations[1].quote
    # the contract that answers one part says so, and what it lacks
    assert birch.answer.startswith("New York law; nothing on ")
    # the overall answer names each contract's facts, not the question
    assert answer.answer.startswith("2 of 2 contracts address this question. Acme NDA: Delaware law;")
    assert "how long do the confidentiality obligations last:" not in answer.answer


def test_a_venue_is_named_with_its_county(analyzer: OfflineAnalyzer) -> None:
    task = QueryPartTask(question="Where are disputes heard?", part_index=0, contracts=[sample("msa_standard.txt")])
    (per,) = analyzer.answer_part(task).output.per_contract
    assert per.answer == "courts of King County, Washington."
    assert "King County, Washington" in per.citations[0].quote


def test_a_question_nothing_answers_names_what_was_asked(analyzer: OfflineAnalyzer) -> None:
    task = QueryPartTask(question="What is the monthly rent?", part_index=0, contracts=[NDA])
    (per,) = analyzer.answer_part(task).output.per_contract
    assert (per.relevant, per.answer) == (False, "No clause addresses monthly rent.")
