"""The LLM analyzer: the Analyzer protocol over LLMClient, with post-validation of what the model returns.

The model's output is checked, not trusted: ids and titles come from the task, statuses and severities are made
consistent, similarity is clamped, excerpts trimmed, and every citation must quote its contract verbatim
(whitespace-normalised) or it is dropped. What was changed is recorded next to the model's raw output in the
reply's `raw` artifact (a JSON object: {"model_output": ..., "post_validation": {...}}).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from shared.analysis.base import AnalyzerReply
from shared.llm.client import LLMClient
from shared.llm.outputs import (
    LISTED_CLAUSES,
    SCHEMA_NAMES,
    CitationOut,
    CombineOut,
    FindingOut,
    PartOut,
    comparison_schema,
    title_key,
)
from shared.llm.prompts import (
    comparison_messages,
    listed_titles,
    neutralise,
    query_combine_messages,
    query_part_messages,
)
from shared.models.analysis import (
    Citation,
    ClauseFinding,
    ComparisonTask,
    ContractComparison,
    ContractForAnalysis,
    PartAnswer,
    PerContractAnswer,
    QueryAnswer,
    QueryCombineTask,
    QueryPartTask,
)
from shared.models.jobs import ModelSelection

MAX_EXCERPT_CHARS = 1_500
# A quote shorter than this proves nothing (a stray "y" occurs in every contract), so it is not a citation.
MIN_QUOTE_CHARS = 8
NO_ANSWER = "No answer was returned for this contract."
_QUOTE_MARKS = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"  # straight, curly and guillemets


class LLMAnalyzer:
    def __init__(self, client: LLMClient) -> None:
        self._client = client
        self.provider: str = client.provider

    def model_name(self, selection: ModelSelection) -> str:
        return self._client.model_name(selection)

    def context_tokens(self, selection: ModelSelection) -> int:
        return self._client.context_tokens(selection)

    # --- comparison --------------------------------------------------------------------------------------------

    def compare(self, task: ComparisonTask) -> AnalyzerReply[ContractComparison]:
        schema = comparison_schema(task.mode)
        titles = listed_titles(task)
        # Clauses mode: the reply is validated against the listed clauses (one finding each, none added), and a
        # reply that misses or repeats one gets the client's corrective retry.
        context = None if titles is None else {LISTED_CLAUSES: titles}
        out, usage, model, raw = self._client.complete_json(
            comparison_messages(task), schema, SCHEMA_NAMES[schema], task.model_selection, context
        )
        findings = [_finding(f) for f in out.clauses]
        if titles is not None:
            findings = _as_listed(findings, titles)
        similarity = min(max(out.similarity, 0.0), 1.0)
        comparison = ContractComparison(
            contract_id=task.compared.contract_id,  # never the model's: it could name any contract
            contract_title=task.compared.title,
            similarity=similarity,
            summary=out.summary.strip(),
            clauses=findings,
        )
        notes = {"similarity_clamped_from": out.similarity if similarity != out.similarity else None}
        return AnalyzerReply(comparison, usage, model, _artifact(raw, notes))

    # --- query ---------------------------------------------------------------------------------------------------

    def answer_part(self, task: QueryPartTask) -> AnalyzerReply[PartAnswer]:
        out, usage, model, raw = self._client.complete_json(
            query_part_messages(task), PartOut, SCHEMA_NAMES[PartOut], task.model_selection
        )
        verifier = QuoteVerifier(task.contracts)
        citations = verifier.keep(out.citations)
        titles = {c.contract_id: c.title for c in task.contracts}
        per_contract: dict[str, PerContractAnswer] = {}
        unknown_contracts: list[str] = []
        for entry in out.per_contract:
            if entry.contract_id not in titles:
                unknown_contracts.append(entry.contract_id)
                continue
            if entry.contract_id in per_contract:
                continue  # a duplicate: the first answer stands
            per_contract[entry.contract_id] = PerContractAnswer(
                contract_id=entry.contract_id,
                contract_title=titles[entry.contract_id],
                answer=entry.answer.strip(),
                relevant=entry.relevant,
                citations=verifier.keep(entry.citations),
            )
        # One entry per contract, in task order, so a result always covers every contract it was given.
        ordered = [
            per_contract.get(c.contract_id)
            or PerContractAnswer(contract_id=c.contract_id, contract_title=c.title, answer=NO_ANSWER, relevant=False)
            for c in task.contracts
        ]
        answer = PartAnswer(
            part_index=task.part_index, answer=out.answer.strip(), citations=citations, per_contract=ordered
        )
        notes = {
            "citations_dropped": len(verifier.dropped),
            "dropped_citations": verifier.dropped,
            "unknown_contract_ids": unknown_contracts,
        }
        return AnalyzerReply(answer, usage, model, _artifact(raw, notes))

    def combine(self, task: QueryCombineTask) -> AnalyzerReply[QueryAnswer]:
        out, usage, model, raw = self._client.complete_json(
            query_combine_messages(task), CombineOut, SCHEMA_NAMES[CombineOut], task.model_selection
        )
        # The combine step sees no contract text: a citation is valid only if a part already verified it.
        known = [c for part in task.parts for c in part.citations] + [
            c for part in task.parts for pc in part.per_contract for c in pc.citations
        ]
        kept: list[Citation] = []
        dropped: list[dict[str, str]] = []
        for citation in out.citations:
            match = _find_known(citation, known)
            if match is None:
                dropped.append(citation.model_dump())
            elif match not in kept:
                kept.append(match)
        answer = QueryAnswer(answer=out.answer.strip(), citations=kept)
        notes = {"citations_dropped": len(dropped), "dropped_citations": dropped}
        return AnalyzerReply(answer, usage, model, _artifact(raw, notes))


def _finding(f: FindingOut) -> ClauseFinding:
    return ClauseFinding(
        title=f.title.strip(),
        status=f.status,
        severity=None if f.status == "matched" else f.severity,  # a matched clause has no deviation to rate
        standard_excerpt="" if f.status == "added" else _trim(f.standard_excerpt),
        compared_excerpt="" if f.status == "missing" else _trim(f.compared_excerpt),
        explanation=f.explanation.strip(),
    )


def _as_listed(findings: list[ClauseFinding], titles: list[str]) -> list[ClauseFinding]:
    """The findings in listed order, each titled exactly as the standard titles it (the model may change case or
    spacing). Validation already guaranteed one finding per listed title."""
    by_title: dict[str, list[ClauseFinding]] = {}
    for finding in findings:
        by_title.setdefault(title_key(finding.title), []).append(finding)
    return [by_title[title_key(title)].pop(0).model_copy(update={"title": title}) for title in titles]


def _trim(text: str, limit: int = MAX_EXCERPT_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def normalise_ws(text: str) -> str:
    return " ".join(text.split())


def contains_words(text: str, quote: str) -> bool:
    """`quote` occurs in `text` without starting or ending inside a word ("able within" is not in "payable within")."""
    start = text.find(quote)
    while start != -1:
        end = start + len(quote)
        starts_clean = start == 0 or not (text[start - 1].isalnum() and quote[0].isalnum())
        ends_clean = end == len(text) or not (text[end].isalnum() and quote[-1].isalnum())
        if starts_clean and ends_clean:
            return True
        start = text.find(quote, start + 1)
    return False


def _clean_quote(quote: str) -> str:
    # Models often wrap a verbatim quote in quotation marks; those are not part of the contract text.
    return normalise_ws(quote).strip(_QUOTE_MARKS + " ")


class QuoteVerifier:
    """Checks citations against the contracts' text; keeps the verified ones, records the rest."""

    def __init__(self, contracts: Iterable[ContractForAnalysis]) -> None:
        # Per contract: (clause title, normalised text, normalised text as the model saw it after neutralising).
        self._clauses: dict[str, list[tuple[str, str, str]]] = {
            c.contract_id: [(cl.title, normalise_ws(cl.text), normalise_ws(neutralise(cl.text))) for cl in c.clauses]
            for c in contracts
        }
        self.dropped: list[dict[str, str]] = []

    def verify(self, citation: CitationOut) -> Citation | None:
        quote = _clean_quote(citation.quote)
        clauses = self._clauses.get(citation.contract_id)
        if len(quote) < MIN_QUOTE_CHARS or clauses is None:
            return None
        cited = citation.clause_title.strip().casefold()
        # The cited clause first; a quote found in another clause of the same contract is kept with that title.
        for title, text, seen in sorted(clauses, key=lambda clause: clause[0].strip().casefold() != cited):
            if contains_words(text, quote) or contains_words(seen, quote):
                return Citation(contract_id=citation.contract_id, clause_title=title, quote=quote)
        return None

    def keep(self, citations: Iterable[CitationOut]) -> list[Citation]:
        kept: list[Citation] = []
        for citation in citations:
            verified = self.verify(citation)
            if verified is None:
                self.dropped.append(citation.model_dump())
            elif verified not in kept:
                kept.append(verified)
        return kept


def _find_known(citation: CitationOut, known: list[Citation]) -> Citation | None:
    quote = _clean_quote(citation.quote)
    if len(quote) < MIN_QUOTE_CHARS:
        return None
    for candidate in known:
        if candidate.contract_id == citation.contract_id and contains_words(normalise_ws(candidate.quote), quote):
            return Citation(contract_id=candidate.contract_id, clause_title=candidate.clause_title, quote=quote)
    return None


def _artifact(raw: str, notes: dict[str, Any]) -> str:
    try:
        output: Any = json.loads(raw)
    except ValueError:
        output = raw
    return json.dumps({"model_output": output, "post_validation": notes}, ensure_ascii=False)
