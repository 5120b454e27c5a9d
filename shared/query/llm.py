"""The query's LLM steps: answer a part, combine partial answers. Every citation must quote its contract verbatim
(whitespace-normalised) or it is dropped; a combine keeps only citations a part already verified."""

from __future__ import annotations

from collections.abc import Iterable

from shared.analysis.base import AnalyzerReply
from shared.contracts.analysis import ContractForAnalysis
from shared.llm.client import LLMClient
from shared.llm.framing import neutralise, with_notes
from shared.llm.quotes import MIN_QUOTE_CHARS, clean_quote, contains_words, normalise_ws
from shared.llm.sizing import (
    COMBINE_FIXED_TOKENS,
    PART_FIXED_TOKENS,
    PER_CITATION_TOKENS,
    PER_CONTRACT_TOKENS,
    PER_PART_TOKENS,
    output_allowance,
)
from shared.query.models import Citation, PartAnswer, PerContractAnswer, QueryAnswer, QueryCombineTask, QueryPartTask
from shared.query.outputs import (
    COMBINE_SCHEMA_NAME,
    PART_SCHEMA_NAME,
    CitationOut,
    combine_bounds,
    combine_schema,
    part_bounds,
    part_schema,
)
from shared.query.prompts import query_combine_messages, query_part_messages

NO_ANSWER = "No answer was returned for this contract."


def answer_part(client: LLMClient, task: QueryPartTask) -> AnalyzerReply[PartAnswer]:
    allowance = output_allowance(client.max_output_tokens, PART_FIXED_TOKENS, PER_CONTRACT_TOKENS, len(task.contracts))
    schema = part_schema(part_bounds(task.contracts))  # the ids and clause titles the part shows
    out, usage, model, raw = client.complete_json(
        query_part_messages(task), schema, PART_SCHEMA_NAME, task.model_selection, max_tokens=allowance
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
    return AnalyzerReply(answer, usage, model, with_notes(raw, notes))


def combine(client: LLMClient, task: QueryCombineTask) -> AnalyzerReply[QueryAnswer]:
    out, usage, model, raw = client.complete_json(
        query_combine_messages(task),
        combine_schema(combine_bounds(task.parts)),  # the ids and titles the partial answers cite
        COMBINE_SCHEMA_NAME,
        task.model_selection,
        max_tokens=combine_tokens(task, client.max_output_tokens),
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
    return AnalyzerReply(answer, usage, model, with_notes(raw, notes))


def combine_tokens(task: QueryCombineTask, cap: int) -> int:
    """What a combined answer can need: a little per part, and room for every citation the parts offer."""
    citations = sum(len(part.citations) for part in task.parts)
    return output_allowance(
        cap, COMBINE_FIXED_TOKENS + PER_PART_TOKENS * len(task.parts), PER_CITATION_TOKENS, citations
    )


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
        quote = clean_quote(citation.quote)
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
    quote = clean_quote(citation.quote)
    if len(quote) < MIN_QUOTE_CHARS:
        return None
    for candidate in known:
        if candidate.contract_id == citation.contract_id and contains_words(normalise_ws(candidate.quote), quote):
            return Citation(contract_id=candidate.contract_id, clause_title=candidate.clause_title, quote=quote)
    return None
