"""LLMAnalyzer: post-validation of model output, through the SDK and the scripted server."""

from __future__ import annotations

import json

import pytest

from shared.comparison.models import ComparisonTask
from shared.comparison.outputs import comparison_schema
from shared.comparison.prompts import comparison_messages
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.llm.analyzer import LLMAnalyzer
from shared.llm.client import LLMClient
from shared.llm.framing import sent_prompt_tokens
from shared.query.llm import NO_ANSWER
from shared.query.models import Citation, PartAnswer, PerContractAnswer, QueryCombineTask, QueryPartTask
from shared.text.tokens import encoding_for_model
from tests.support.chat_tokens import guide_prompt_tokens
from tests.support.openai_server import OMIT, OpenAITestServer, RecordedRequest, Reply, parse_contracts
from tests.support.quota import MemoryQuotaRepository

STANDARD = ContractForAnalysis(
    contract_id="std-1",
    title="Standard MSA",
    clauses=[
        ClauseText(title="Payment", number="4", text="Invoices are payable within 60 days of receipt."),
        ClauseText(title="Liability", number="9", text="Liability is capped at the fees paid in 12 months."),
        ClauseText(title="Confidentiality", text="Each party keeps the other's information confidential."),
    ],
)
VENDOR = ContractForAnalysis(
    contract_id="ven-7",
    title="Vendor MSA",
    clauses=[
        ClauseText(title="Payment", text="Invoices are payable within\n   30 days of receipt."),
        ClauseText(title="Liability", text="Liability is capped at the fees paid in 12 months."),
        ClauseText(title="Audit", text="Vendor may audit Customer </clause> once a year."),
    ],
)


@pytest.fixture
def analyzer(client: LLMClient) -> LLMAnalyzer:
    return LLMAnalyzer(client)


def finding(title: str, status: str, severity: str | None, std: str = "", cmp: str = "") -> dict[str, object]:
    return {
        "title": title,
        "status": status,
        "severity": severity,
        "standard_excerpt": std,
        "compared_excerpt": cmp,
        "explanation": f"{title} is {status}.",
    }


def artifact(raw: str) -> dict[str, object]:
    parsed = json.loads(raw)
    assert set(parsed) == {"model_output", "post_validation"}
    return parsed["post_validation"]  # type: ignore[no-any-return]


def test_compare_forces_ids_clamps_and_normalises_findings(
    openai_server: OpenAITestServer, analyzer: LLMAnalyzer
) -> None:
    openai_server.respond_json(
        {
            "similarity": 1.7,
            "summary": "  Mostly the same.  ",
            "clauses": [
                finding("Payment", "modified", "medium", "  60 days  ", "30 days"),
                finding("Liability", "matched", "high", "capped", "capped"),
                finding("Confidentiality", "missing", "high", "Each party", "hallucinated text"),
                finding("Audit", "added", "low", "hallucinated", "x" * 5_000),
            ],
        }
    )

    reply = analyzer.compare(ComparisonTask(standard=STANDARD, compared=VENDOR))

    result = reply.output
    assert (result.contract_id, result.contract_title) == ("ven-7", "Vendor MSA")
    assert result.similarity == 1.0 and result.summary == "Mostly the same."
    payment, liability, confidentiality, audit = result.clauses
    assert payment.standard_excerpt == "60 days"
    assert liability.severity is None  # matched clauses carry no severity
    assert confidentiality.compared_excerpt == ""  # a missing clause has nothing on the compared side
    assert audit.standard_excerpt == "" and len(audit.compared_excerpt) == 1_500 and audit.compared_excerpt[-1] == "…"
    assert artifact(reply.raw)["similarity_clamped_from"] == 1.7
    assert reply.model == "test-model-primary" and reply.usage.llm_calls == 1


def test_compare_deviation_without_severity_gets_a_corrective_retry(
    openai_server: OpenAITestServer, analyzer: LLMAnalyzer
) -> None:
    rest = [finding("Liability", "matched", None), finding("Confidentiality", "missing", "high")]
    openai_server.respond_json(
        {"similarity": 0.5, "summary": "s", "clauses": [finding("Payment", "modified", None), *rest]}
    )
    openai_server.respond_json(
        {"similarity": 0.5, "summary": "s", "clauses": [finding("Payment", "modified", "low"), *rest]}
    )

    reply = analyzer.compare(ComparisonTask(standard=STANDARD, compared=VENDOR))

    assert reply.output.clauses[0].severity == "low"
    assert len(openai_server.requests) == 2
    assert "severity is required for a 'modified' clause" in openai_server.requests[1].messages[-1]["content"]


def titles_enum(request: RecordedRequest) -> list[str]:
    assert request.json_schema is not None
    [finding_schema] = request.json_schema["$defs"].values()
    return finding_schema["properties"]["title"]["enum"]  # type: ignore[no-any-return]


def test_the_schema_as_sent_bounds_titles_statuses_and_severities(
    openai_server: OpenAITestServer, analyzer: LLMAnalyzer
) -> None:
    analyzer.compare(ComparisonTask(standard=STANDARD, compared=VENDOR))
    analyzer.compare(ComparisonTask(standard=STANDARD, compared=VENDOR, mode="clauses", selected_clauses=["Payment"]))

    full, clauses = openai_server.requests
    assert full.body["response_format"]["json_schema"]["strict"] is True
    # Full mode: the standard's titles, then the compared contract's (an added clause's), each once.
    assert titles_enum(full) == ["Payment", "Liability", "Confidentiality", "Audit"]
    assert titles_enum(clauses) == ["Payment"]
    assert full.json_schema is not None and clauses.json_schema is not None
    [full_finding] = full.json_schema["$defs"].values()
    [clauses_finding] = clauses.json_schema["$defs"].values()
    assert full_finding["properties"]["status"]["enum"] == ["matched", "modified", "missing", "added"]
    assert clauses_finding["properties"]["status"]["enum"] == ["matched", "modified", "missing"]
    assert full_finding["properties"]["severity"]["anyOf"][0]["enum"] == ["low", "medium", "high"]


def test_a_title_outside_the_enum_gets_the_corrective_retry_naming_the_allowed_ones(
    openai_server: OpenAITestServer, analyzer: LLMAnalyzer
) -> None:
    # Only a server that ignores the schema can send it: the retry names the titles the schema allows.
    listed = [finding("Payment", "modified", "medium"), finding("  LIABILITY ", "matched", None)]
    openai_server.respond_json(
        {"similarity": 0.5, "summary": "s", "clauses": [*listed, finding("Audit", "missing", "low")]}
    )
    openai_server.respond_json(
        {"similarity": 0.5, "summary": "s", "clauses": [*listed, finding("confidentiality", "missing", "high")]}
    )

    reply = analyzer.compare(ComparisonTask(standard=STANDARD, compared=VENDOR, mode="clauses"))

    # Case and spacing are forgiven: titled as the standard titles them, in its order.
    assert [(c.title, c.status) for c in reply.output.clauses] == [
        ("Payment", "modified"),
        ("Liability", "matched"),
        ("Confidentiality", "missing"),
    ]
    correction = openai_server.requests[1].messages[-1]["content"]
    assert "clauses.2.title: Input should be 'Payment', 'Liability' or 'Confidentiality'" in correction
    assert reply.usage.llm_calls == 2


def test_a_skipped_clause_is_asked_for_again_in_a_smaller_call_and_merged_in_order(
    openai_server: OpenAITestServer, analyzer: LLMAnalyzer
) -> None:
    openai_server.respond_json(
        {
            "similarity": 0.5,
            "summary": "s",
            "clauses": [finding("Payment", "modified", "medium"), finding("Liability", "matched", None)],
        },
        usage={"prompt_tokens": 900, "completion_tokens": 200, "total_tokens": 1_100},
    )
    openai_server.respond_json(
        {"similarity": 0.0, "summary": "only one", "clauses": [finding("Confidentiality", "missing", "high")]},
        usage={"prompt_tokens": 500, "completion_tokens": 60, "total_tokens": 560},
    )

    reply = analyzer.compare(ComparisonTask(standard=STANDARD, compared=VENDOR, mode="clauses"))

    assert [(c.title, c.status) for c in reply.output.clauses] == [
        ("Payment", "modified"),
        ("Liability", "matched"),
        ("Confidentiality", "missing"),
    ]
    assert reply.output.warnings == [] and reply.output.summary == "s" and reply.output.similarity == 0.5
    first, again = openai_server.requests
    # The re-ask lists the skipped clause only, sends only its standard text, and the whole compared contract.
    assert '<selected_clauses>["Confidentiality"]</selected_clauses>' in again.text()
    standard, compared = parse_contracts(again.messages[1]["content"])
    assert [title for title, _ in standard.clauses] == ["Confidentiality"]
    assert [title for title, _ in compared.clauses] == ["Payment", "Liability", "Audit"]
    assert titles_enum(again) == ["Confidentiality"]
    assert len(again.text()) < len(first.text())
    assert again.body["max_completion_tokens"] < first.body["max_completion_tokens"]
    assert (reply.usage.llm_calls, reply.usage.prompt_tokens, reply.usage.completion_tokens) == (2, 1_400, 260)
    assert artifact(reply.raw)["reasked"] == ["Confidentiality"]


def test_a_clause_skipped_twice_is_not_assessed_with_a_warning(
    openai_server: OpenAITestServer, analyzer: LLMAnalyzer
) -> None:
    openai_server.respond_json({"similarity": 1, "summary": "s", "clauses": [finding("Liability", "matched", None)]})
    openai_server.respond_json({"similarity": 1, "summary": "s", "clauses": [finding("Payment", "modified", "low")]})

    reply = analyzer.compare(ComparisonTask(standard=STANDARD, compared=VENDOR, mode="clauses"))

    payment, liability, confidentiality = reply.output.clauses
    assert (payment.status, payment.severity, liability.status) == ("modified", "low", "matched")
    assert (confidentiality.title, confidentiality.status, confidentiality.severity) == (
        "Confidentiality",
        "not_assessed",
        None,
    )
    assert confidentiality.standard_excerpt == "Each party keeps the other's information confidential."
    assert confidentiality.compared_excerpt == ""
    assert reply.output.warnings == ["Clause 'Confidentiality' was not assessed: the model's reply omitted it twice"]
    assert '<selected_clauses>["Payment", "Confidentiality"]</selected_clauses>' in openai_server.requests[1].text()
    assert reply.usage.llm_calls == 2
    assert artifact(reply.raw)["not_assessed"] == ["Confidentiality"]


def test_a_reask_that_fails_leaves_the_clauses_not_assessed_and_counts_what_was_paid(
    openai_server: OpenAITestServer, analyzer: LLMAnalyzer
) -> None:
    openai_server.respond_json(
        {"similarity": 1, "summary": "s", "clauses": [finding("Liability", "matched", None)]},
        usage={"prompt_tokens": 900, "completion_tokens": 200, "total_tokens": 1_100},
    )
    openai_server.respond_invalid_json(times=2)  # the re-ask's reply and its corrective retry: both unusable
    task = ComparisonTask(standard=STANDARD, compared=VENDOR, mode="clauses", selected_clauses=["liability", "payment"])

    reply = analyzer.compare(task)

    assert [(c.title, c.status) for c in reply.output.clauses] == [
        ("Payment", "not_assessed"),
        ("Liability", "matched"),
    ]
    [warning] = reply.output.warnings
    assert warning.startswith("Clause 'Payment' was not assessed: the model's reply omitted it, and asking again")
    assert len(openai_server.requests) == 3
    assert reply.usage.llm_calls == 3 and reply.usage.prompt_tokens > 900  # the failed re-ask's two calls count


def test_full_mode_asks_again_for_a_skipped_standard_clause_and_keeps_added_ones(
    openai_server: OpenAITestServer, analyzer: LLMAnalyzer
) -> None:
    openai_server.respond_json(
        {
            "similarity": 0.5,
            "summary": "s",
            "clauses": [
                finding("Audit", "added", "low"),
                finding("Payment", "modified", "medium"),
                finding("Payment", "matched", None),  # a repeat: the first finding stands
                finding("Confidentiality", "missing", "high"),
            ],
        }
    )  # Liability is skipped: the echo answers the re-ask

    reply = analyzer.compare(ComparisonTask(standard=STANDARD, compared=VENDOR))

    assert [(c.title, c.status) for c in reply.output.clauses] == [
        ("Payment", "modified"),
        ("Liability", "matched"),
        ("Confidentiality", "missing"),
        ("Audit", "added"),
    ]
    assert '<selected_clauses>["Liability"]</selected_clauses>' in openai_server.requests[1].text()
    assert "added" not in json.dumps(openai_server.requests[1].json_schema)
    assert artifact(reply.raw)["repeated_findings_dropped"] == ["Payment"]


def test_comparison_prompts_are_counted_as_sent_with_their_title_enums(
    openai_server: OpenAITestServer, analyzer: LLMAnalyzer
) -> None:
    """The count the size check makes (comparison_messages + the task's own schema, titles in it) and the count of
    each call the client makes (the re-ask's smaller schema too) are the tokens that went over the wire."""
    openai_server.enqueue(
        Reply(content=json.dumps({"similarity": 1, "summary": "s", "clauses": [finding("Payment", "matched", None)]}),
              usage=OMIT),
        Reply(usage=OMIT),  # the re-ask, answered by the echo
    )  # fmt: skip
    task = ComparisonTask(standard=STANDARD, compared=VENDOR, mode="clauses")
    encoding = encoding_for_model("test-model-primary")

    reply = analyzer.compare(task)

    first, again = openai_server.requests
    sent = [guide_prompt_tokens(r.messages, encoding, r.json_schema) for r in (first, again)]
    assert titles_enum(first) == ["Payment", "Liability", "Confidentiality"]
    assert titles_enum(again) == ["Liability", "Confidentiality"]
    assert sent_prompt_tokens(comparison_messages(task), comparison_schema(task), encoding) == sent[0]
    assert reply.usage.prompt_tokens == sum(sent)  # no usage from the server: the client's own counts


def cite(contract_id: str, clause: str, quote: str) -> dict[str, str]:
    return {"contract_id": contract_id, "clause_title": clause, "quote": quote}


def test_answer_part_keeps_only_verbatim_citations(openai_server: OpenAITestServer, analyzer: LLMAnalyzer) -> None:
    openai_server.respond_json(
        {
            "answer": "Payment terms differ.",
            "citations": [
                cite("ven-7", "Payment", "payable within 30 days"),  # whitespace differs from the text: kept
                cite("ven-7", "Payment", "capped at the fees paid"),  # wrong clause: kept under "Liability"
                cite("ven-7", "Payment", "payable within 10 days"),  # not in the contract: dropped
                cite("ven-7", "Payment", "able within 30 days"),  # starts inside a word: dropped
                cite("std-1", "Payment", "\u201cpayable within 60 days\u201d"),  # quotation marks stripped
                cite("ven-7", "Audit", "audit Customer &lt;/clause> once"),  # as the model saw it: kept
            ],
            "per_contract": [
                {
                    "contract_id": "ven-7",
                    "answer": "30 days.",
                    "relevant": True,
                    "citations": [cite("ven-7", "Confidentiality", "y")],  # not a quote: dropped
                },
            ],
        }
    )
    task = QueryPartTask(question="What are the payment terms?", part_index=2, contracts=[STANDARD, VENDOR])

    reply = analyzer.answer_part(task)

    out = reply.output
    assert out.part_index == 2
    assert out.citations == [
        Citation(contract_id="ven-7", clause_title="Payment", quote="payable within 30 days"),
        Citation(contract_id="ven-7", clause_title="Liability", quote="capped at the fees paid"),
        Citation(contract_id="std-1", clause_title="Payment", quote="payable within 60 days"),
        Citation(contract_id="ven-7", clause_title="Audit", quote="audit Customer &lt;/clause> once"),
    ]
    assert [(p.contract_id, p.contract_title, p.relevant) for p in out.per_contract] == [
        ("std-1", "Standard MSA", False),  # the model skipped it: filled in, in task order
        ("ven-7", "Vendor MSA", True),
    ]
    assert out.per_contract[0].answer == NO_ANSWER
    assert out.per_contract[1].citations == []
    notes = artifact(reply.raw)
    assert notes["citations_dropped"] == 3  # two top-level ones and the per-contract "y"
    assert notes["unknown_contract_ids"] == []


def test_a_part_reply_outside_its_schema_bounds_gets_the_corrective_retry(
    openai_server: OpenAITestServer, analyzer: LLMAnalyzer
) -> None:
    # The schema bounds contract ids and clause titles to the part's: only a server that ignores it can send
    # another contract or clause; case and spacing are forgiven, anything else is sent back once.
    openai_server.respond_json(
        {
            "answer": "a",
            "citations": [cite("ven-7", "  payment ", "payable within 30 days"), cite("ven-7", "Fees", "x y z")],
            "per_contract": [{"contract_id": "ghost", "answer": "?", "relevant": True, "citations": []}],
        }
    )
    openai_server.respond_json(
        {
            "answer": "a",
            "citations": [cite("ven-7", "  payment ", "payable within 30 days")],
            "per_contract": [{"contract_id": "ven-7", "answer": "30 days", "relevant": True, "citations": []}],
        }
    )
    task = QueryPartTask(question="What are the payment terms?", part_index=0, contracts=[STANDARD, VENDOR])

    reply = analyzer.answer_part(task)

    first, retry = openai_server.requests
    schema = first.json_schema["$defs"]  # type: ignore[index]
    assert schema["CitationOut"]["properties"]["contract_id"]["enum"] == ["std-1", "ven-7"]
    assert schema["CitationOut"]["properties"]["clause_title"]["enum"] == [
        "Payment",
        "Liability",
        "Confidentiality",
        "Audit",
    ]
    correction = retry.messages[-1]["content"]
    assert (
        "citations.1.clause_title: Input should be 'Payment', 'Liability', 'Confidentiality' or 'Audit'" in correction
    )
    assert "per_contract.0.contract_id: Input should be 'std-1' or 'ven-7'" in correction
    assert reply.output.citations == [
        Citation(contract_id="ven-7", clause_title="Payment", quote="payable within 30 days")
    ]
    assert reply.usage.llm_calls == 2


def test_combine_keeps_only_citations_from_the_parts(openai_server: OpenAITestServer, analyzer: LLMAnalyzer) -> None:
    known = Citation(contract_id="ven-7", clause_title="Payment", quote="payable within 30 days of receipt")
    part = PartAnswer(
        part_index=0,
        answer="30 days",
        citations=[known],
        per_contract=[PerContractAnswer(contract_id="ven-7", contract_title="Vendor MSA", answer="30 days")],
    )
    openai_server.respond_json(
        {
            "answer": " Vendor pays in 30 days. ",
            "citations": [cite("ven-7", " payment", "within 30 days"), cite("ven-7", "Payment", "within 90 days")],
        }
    )

    reply = analyzer.combine(QueryCombineTask(question="Payment?", parts=[part]))

    # The schema allows only what the parts cite (the title's case is forgiven); the quote must be a known one.
    citation = openai_server.requests[0].json_schema["$defs"]["CitationOut"]["properties"]  # type: ignore[index]
    assert (citation["contract_id"]["enum"], citation["clause_title"]["enum"]) == (["ven-7"], ["Payment"])
    assert reply.output.answer == "Vendor pays in 30 days."
    assert reply.output.citations == [Citation(contract_id="ven-7", clause_title="Payment", quote="within 30 days")]
    assert artifact(reply.raw)["citations_dropped"] == 1


def test_echo_server_end_to_end(openai_server: OpenAITestServer, analyzer: LLMAnalyzer) -> None:
    comparison = analyzer.compare(ComparisonTask(standard=STANDARD, compared=VENDOR)).output
    assert [(c.title, c.status, c.severity) for c in comparison.clauses] == [
        ("Payment", "modified", "medium"),
        ("Liability", "matched", None),
        ("Confidentiality", "missing", "high"),
        ("Audit", "added", "low"),
    ]
    assert comparison.similarity == 0.25

    part = analyzer.answer_part(QueryPartTask(question="Payment?", part_index=0, contracts=[STANDARD, VENDOR]))
    assert len(part.output.citations) == 2 and artifact(part.raw)["citations_dropped"] == 0
    combined = analyzer.combine(QueryCombineTask(question="Payment?", parts=[part.output]))
    assert combined.output.citations == part.output.citations
    assert [r.schema_name for r in openai_server.requests] == [
        "contract_comparison",
        "query_part_answer",
        "query_answer",
    ]


def test_context_tokens_and_model_names_come_from_settings(openai_server: OpenAITestServer) -> None:
    settings = openai_server.settings(llm_context_tokens_primary=8_000, llm_context_tokens_secondary=4_000)
    analyzer = LLMAnalyzer(LLMClient(settings, quota=MemoryQuotaRepository()))
    assert (analyzer.context_tokens("primary"), analyzer.context_tokens("secondary")) == (8_000, 4_000)
    assert analyzer.model_name("secondary") == "test-model-secondary"
    assert analyzer.provider == "openai"


def test_echo_server_clause_mode_without_selection_reports_every_standard_clause(
    openai_server: OpenAITestServer, analyzer: LLMAnalyzer
) -> None:
    task = ComparisonTask(standard=STANDARD, compared=VENDOR, mode="clauses", selected_clauses=[])
    comparison = analyzer.compare(task).output
    assert [(c.title, c.status) for c in comparison.clauses] == [
        ("Payment", "modified"),
        ("Liability", "matched"),
        ("Confidentiality", "missing"),
    ]


def test_echo_server_clause_mode_reports_selected_clauses_only(
    openai_server: OpenAITestServer, analyzer: LLMAnalyzer
) -> None:
    task = ComparisonTask(standard=STANDARD, compared=VENDOR, mode="clauses", selected_clauses=["Liability"])
    comparison = analyzer.compare(task).output
    assert [(c.title, c.status) for c in comparison.clauses] == [("Liability", "matched")]
    assert comparison.similarity == 1.0
