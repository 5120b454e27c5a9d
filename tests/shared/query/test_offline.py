"""Offline extractive answers: the right clause cited, the right words quoted, honest 'not addressed'."""

from __future__ import annotations

from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.contracts.analysis import ContractForAnalysis
from shared.query.models import PartAnswer, QueryCombineTask, QueryPartTask
from tests.support.contracts import contract, sample

DE = contract(
    "acme",
    [
        ("Confidentiality", "Each party shall keep the other's Confidential Information secret for three (3) years."),
        ("Choice of Law", "This Agreement shall be construed in accordance with the laws of the State of Delaware."),
        ("Notices", "Notices must be sent by email to the addresses above."),
    ],
    "Acme NDA",
)
NY = contract(
    "birch",
    [
        ("Fees", "Customer shall pay all invoices within thirty (30) days of receipt."),
        (
            "Miscellaneous",
            "Either party may assign this Agreement to a successor. This Agreement is governed by "
            "the laws of the State of New York. Headings are for convenience only.",
        ),
    ],
    "Birch MSA",
)
TX = contract(
    "cedar",
    [
        ("Rent", "Tenant shall pay monthly rent of $4,000 on the first day of each month."),
        ("Governing Law", "This Lease is governed by the laws of the State of Texas."),
    ],
    "Cedar Lease",
)
EXPECTED = {"acme": "Delaware", "birch": "New York", "cedar": "Texas"}
EXPECTED_TITLE = {"acme": "Choice of Law", "birch": "Miscellaneous", "cedar": "Governing Law"}


def ask(analyzer: OfflineAnalyzer, question: str, contracts: list[ContractForAnalysis], part: int = 0) -> PartAnswer:
    reply = analyzer.answer_part(QueryPartTask(question=question, part_index=part, contracts=contracts))
    assert reply.usage.llm_calls == 0
    return reply.output


def assert_quotes_are_verbatim(answer: PartAnswer, contracts: list[ContractForAnalysis]) -> None:
    texts = {(c.contract_id, k.title): k.text for c in contracts for k in c.clauses}
    for citation in answer.citations:
        assert citation.quote and citation.quote in texts[(citation.contract_id, citation.clause_title)]


def test_governing_law_is_cited_and_quoted_for_each_contract(analyzer: OfflineAnalyzer) -> None:
    contracts = [DE, NY, TX]
    answer = ask(analyzer, "What is the governing law?", contracts)
    assert [a.contract_id for a in answer.per_contract] == ["acme", "birch", "cedar"]
    for per in answer.per_contract:
        assert per.relevant
        assert per.citations[0].clause_title == EXPECTED_TITLE[per.contract_id]
        assert EXPECTED[per.contract_id] in per.citations[0].quote
        assert EXPECTED[per.contract_id] in per.answer
    assert_quotes_are_verbatim(answer, contracts)
    assert answer.answer.startswith("3 of 3 contracts")


def test_question_nothing_answers_is_not_relevant(analyzer: OfflineAnalyzer) -> None:
    answer = ask(analyzer, "What does the agreement say about cryptocurrency mining?", [DE, NY, TX])
    assert all(not a.relevant and not a.citations for a in answer.per_contract)
    assert all(a.answer.startswith("No clause addresses") for a in answer.per_contract)
    assert answer.citations == []


def test_only_contracts_that_answer_are_relevant(analyzer: OfflineAnalyzer) -> None:
    answer = ask(analyzer, "When must invoices be paid?", [DE, NY, TX])
    relevant = {a.contract_id: a for a in answer.per_contract if a.relevant}
    assert "birch" in relevant and "acme" not in relevant
    assert "thirty (30) days" in relevant["birch"].citations[0].quote


def test_combine_merges_parts_and_ranks_citations(analyzer: OfflineAnalyzer) -> None:
    question = "Which law governs the contract?"
    parts = [ask(analyzer, question, [DE, NY], part=0), ask(analyzer, question, [TX], part=1)]
    task = QueryCombineTask(question=question, parts=[parts[1], parts[0], parts[1]])  # order and duplicates
    combined = analyzer.combine(task).output
    assert combined.answer.startswith("3 of 3 contracts")
    assert all(state in combined.answer for state in EXPECTED.values())
    keys = [(c.contract_id, c.quote) for c in combined.citations]
    assert len(keys) == len(set(keys)) and {c for c, _ in keys} == {"acme", "birch", "cedar"}
    assert analyzer.combine(task).output == combined


def test_combine_counts_contracts_that_do_not_answer(analyzer: OfflineAnalyzer) -> None:
    question = "How much is the monthly rent?"
    parts = [ask(analyzer, question, [DE, NY], part=0), ask(analyzer, question, [TX], part=1)]
    combined = analyzer.combine(QueryCombineTask(question=question, parts=parts)).output
    assert combined.answer.startswith("1 of 3 contracts")
    assert "$4,000" in combined.citations[0].quote


def test_sample_contracts_governing_law(analyzer: OfflineAnalyzer) -> None:
    names = {
        "nda_mutual_standard.md": "Delaware",
        "msa_standard.txt": "Washington",
        "commercial_lease.txt": "Texas",
        "employment_agreement.md": "Massachusetts",
    }
    contracts = [sample(n) for n in names]
    answer = ask(analyzer, "What is the governing law?", contracts)
    for per in answer.per_contract:
        assert per.relevant and names[per.contract_id] in per.citations[0].quote
    assert_quotes_are_verbatim(answer, contracts)
