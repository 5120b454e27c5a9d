"""Retrieval first: what a model-backed query sends of each contract (shared/query/retrieval.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.query import retrieval
from shared.query.meter import PartMeter
from shared.query.plan import plan_for
from shared.query.request import QueryJobRequest
from shared.query.retrieval import select_clauses, uses_retrieval
from shared.text.segmentation import segment_top_level

SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


def sample(name: str) -> list[ClauseText]:
    clauses = segment_top_level((SAMPLES / name).read_text(encoding="utf-8"))
    return [ClauseText(title=c.title, number=c.number, text=c.text) for c in clauses]


def long_contract() -> ContractForAnalysis:
    """A long agreement: the sample MSA, lease and employment agreement end to end (37 clauses)."""
    clauses = [*sample("msa_standard.txt"), *sample("commercial_lease.txt"), *sample("employment_agreement.md")]
    return ContractForAnalysis(contract_id="long", title="Long agreement", clauses=clauses)


def select(contract: ContractForAnalysis, question: str) -> retrieval.Selection:
    return select_clauses(contract, question, PartMeter(question, "o200k_base"))


def titles(selection: retrieval.Selection) -> list[str]:
    return [clause.title for clause in selection.contract.clauses]


def test_a_question_one_clause_answers_sends_that_clause_and_few_others_verbatim_in_document_order() -> None:
    contract = long_contract()
    chosen = select(contract, "How much is the security deposit?")

    assert not chosen.whole
    assert "Security Deposit" in titles(chosen)
    assert chosen.tokens <= 0.25 * chosen.total  # most of the agreement stays home
    assert chosen.tokens == sum(PartMeter("q", "o200k_base").clause(c) for c in chosen.contract.clauses)
    positions = sorted(chosen.kept)
    assert [contract.clauses[i] for i in positions] == chosen.contract.clauses  # whole clauses, titles and numbers
    assert chosen.contract.contract_id == contract.contract_id and chosen.contract.title == contract.title


def test_a_two_part_question_keeps_each_parts_best_clauses() -> None:
    chosen = select(long_contract(), "How much is the security deposit, and can the employee solicit our staff?")

    assert not chosen.whole
    assert {"Security Deposit", "Non-Solicitation"} <= set(titles(chosen))


def test_a_question_the_contract_has_no_words_for_sends_it_whole() -> None:
    contract = long_contract()
    chosen = select(contract, "Is cryptocurrency or blockchain mentioned?")

    assert chosen.whole and chosen.contract == contract
    assert set(chosen.kept.values()) == {"whole"} and chosen.tokens == chosen.total


def test_a_flat_ranking_sends_the_contract_whole() -> None:
    same = "The parties shall meet to discuss the notice and each shall bear its own costs of the meeting."
    clauses = [ClauseText(title=f"Section {i}", text=f"{same} Item {i}.") for i in range(12)]
    contract = ContractForAnalysis(contract_id="flat", title="Flat", clauses=clauses)

    assert select(contract, "Who bears the costs of the meeting?").whole


def test_a_clause_whose_heading_names_the_question_is_kept_however_it_ranks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the best-ranked clause otherwise: the heading guard alone keeps "Audit".
    monkeypatch.setattr(retrieval, "TOP_PER_PART", 1)
    monkeypatch.setattr(retrieval, "KEEP_SHARE", 2.0)
    monkeypatch.setattr(retrieval, "FILL_SHARE", 0.0)
    contract = long_contract()
    audit = ClauseText(title="Audit", text="Once a year, on thirty days' notice, the books may be inspected.")
    contract = contract.model_copy(update={"clauses": [*contract.clauses, audit]})

    chosen = select(contract, "Can the customer audit the vendor's records of the fees?")

    assert {contract.clauses[i].title: why for i, why in chosen.kept.items()} == {
        "FEES AND PAYMENT": "ranked",
        "Audit": "heading",
    }


def test_a_kept_heading_brings_the_clauses_that_follow_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrieval, "TOP_PER_PART", 1)
    monkeypatch.setattr(retrieval, "KEEP_SHARE", 2.0)
    monkeypatch.setattr(retrieval, "FILL_SHARE", 0.0)
    clauses = long_contract().clauses
    lead_in = ClauseText(title="Refunds", text="Refunds are governed by this section:")
    substance = ClauseText(
        title="Refunds > Amounts",
        text="Fees paid for a cancelled order are returned within thirty days, less any costs already incurred "
        "by the supplier in preparing the order for delivery.",
    )
    contract = ContractForAnalysis(contract_id="r", title="r", clauses=[*clauses[:5], lead_in, substance, *clauses[5:]])

    chosen = select(contract, "Are refunds available?")

    assert chosen.kept == {5: "ranked", 6: "fragment"}  # the lead-in ranks first, its substance comes along


class FakeAnalyzer:
    def __init__(self, provider: str) -> None:
        self.provider = provider

    def model_name(self, selection: Any) -> str:
        return "gpt-4o"

    def context_tokens(self, selection: Any) -> int:
        return 128_000


@pytest.mark.parametrize(("provider", "asked", "ranks"), [("openai", "ranked", True), ("openai", "all", False)])
def test_only_a_model_backed_ranked_query_sends_part_of_a_contract(provider: str, asked: Any, ranks: bool) -> None:
    contract = long_contract()
    request = QueryJobRequest(question="How much is the security deposit?", contract_ids=["long"], retrieval=asked)
    analyzer = FakeAnalyzer(provider)

    _, (part,) = plan_for(analyzer, request, [contract], 4_000)  # type: ignore[arg-type]

    assert uses_retrieval(analyzer, request) is ranks  # type: ignore[arg-type]
    assert (len(part.contracts[0].clauses) < len(contract.clauses)) is ranks


def test_the_offline_analyzer_ranks_every_clause_itself() -> None:
    contract = long_contract()
    request = QueryJobRequest(question="How much is the security deposit?", contract_ids=["long"])

    _, (part,) = plan_for(OfflineAnalyzer(), request, [contract], 4_000)

    assert part.contracts == [contract]
