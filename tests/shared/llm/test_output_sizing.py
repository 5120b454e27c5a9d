"""Tight max_tokens: each call asks for what its answer can need (from its schema and its input), capped at
LLM_MAX_OUTPUT_TOKENS, and a planned query part still fits the context with what its call asks for."""

from __future__ import annotations

from shared.comparison.models import ComparisonTask
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.llm.analyzer import LLMAnalyzer
from shared.llm.framing import sent_prompt_tokens
from shared.llm.sizing import (
    COMBINE_FIXED_TOKENS,
    COMPARISON_FIXED_TOKENS,
    FINDING_TOKENS,
    PART_FIXED_TOKENS,
    PER_CITATION_TOKENS,
    PER_CONTRACT_TOKENS,
    PER_PART_TOKENS,
)
from shared.query.models import Citation, PartAnswer, QueryCombineTask
from shared.query.outputs import PartOut
from shared.query.plan import plan_for
from shared.query.prompts import query_part_messages
from shared.query.request import QueryJobRequest
from shared.text.tokens import encoding_for_model
from tests.shared.llm.conftest import MakeClient
from tests.support.openai_server import OpenAITestServer

TITLES = ["Payment", "Liability", "Confidentiality", "Termination", "Audit", "Notices"]


def contract(contract_id: str, clauses: int, words: int = 12) -> ContractForAnalysis:
    text = " ".join(f"word{i}" for i in range(words))
    return ContractForAnalysis(
        contract_id=contract_id,
        title=contract_id,
        clauses=[ClauseText(title=TITLES[i % len(TITLES)] + f" {i}", text=f"{text} {i}.") for i in range(clauses)],
    )


def asked(server: OpenAITestServer) -> list[int]:
    return [request.body["max_completion_tokens"] for request in server.requests]


def test_a_comparison_asks_for_a_finding_per_clause_it_covers(
    openai_server: OpenAITestServer, make_client: MakeClient
) -> None:
    analyzer = LLMAnalyzer(make_client(openai_server.settings()))
    standard, compared = contract("std", 4), contract("cmp", 6)
    analyzer.compare(ComparisonTask(standard=standard, compared=compared))
    analyzer.compare(
        ComparisonTask(standard=standard, compared=compared, mode="clauses", selected_clauses=["Liability 1"])
    )
    # Full mode: every standard clause, and half the compared ones may be added; clauses mode: the listed one.
    assert asked(openai_server) == [
        COMPARISON_FIXED_TOKENS + 7 * FINDING_TOKENS,
        COMPARISON_FIXED_TOKENS + FINDING_TOKENS,
    ]


def test_a_large_comparison_is_capped_at_the_setting(openai_server: OpenAITestServer, make_client: MakeClient) -> None:
    analyzer = LLMAnalyzer(make_client(openai_server.settings(llm_max_output_tokens=2_500)))
    analyzer.compare(ComparisonTask(standard=contract("std", 30), compared=contract("cmp", 30)))
    assert asked(openai_server) == [2_500]


def test_a_query_part_asks_per_contract_and_a_combine_per_part_and_citation(
    openai_server: OpenAITestServer, make_client: MakeClient
) -> None:
    analyzer = LLMAnalyzer(make_client(openai_server.settings()))
    request = QueryJobRequest(question="What is the notice period?", contract_ids=["a", "b", "c"])
    contracts = [contract(c, 2) for c in request.contract_ids]
    _, [part] = plan_for(analyzer, request, contracts, 4_000)
    analyzer.answer_part(part)
    cite = Citation(contract_id="a", clause_title="Payment 0", quote="word0 word1 word2 word3")
    parts = [PartAnswer(part_index=i, answer="30 days.", citations=[cite] * 2, per_contract=[]) for i in range(3)]
    analyzer.combine(QueryCombineTask(question=request.question, parts=parts))
    assert asked(openai_server) == [
        PART_FIXED_TOKENS + 3 * PER_CONTRACT_TOKENS,
        COMBINE_FIXED_TOKENS + 3 * PER_PART_TOKENS + 6 * PER_CITATION_TOKENS,
    ]


def test_a_planned_part_fits_the_context_with_what_its_call_asks_for(
    openai_server: OpenAITestServer, make_client: MakeClient
) -> None:
    context, reserve = 3_000, 1_200
    settings = openai_server.settings(llm_context_tokens_primary=context, llm_max_output_tokens=reserve)
    analyzer = LLMAnalyzer(make_client(settings))
    request = QueryJobRequest(question="What is the notice period?", contract_ids=[f"c{i}" for i in range(12)])
    _, parts = plan_for(analyzer, request, [contract(c, 3, words=60) for c in request.contract_ids], reserve)
    assert len(parts) > 1
    encoding = encoding_for_model("test-model-primary")
    for part in parts:
        analyzer.answer_part(part)
    for part, sent in zip(parts, openai_server.requests, strict=True):
        prompt = sent_prompt_tokens(query_part_messages(part), PartOut, encoding)
        assert prompt + sent.body["max_completion_tokens"] <= context  # the truncation retry is capped likewise
        assert sent.body["max_completion_tokens"] <= reserve
