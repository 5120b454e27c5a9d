"""The comparison's LLM step: one structured call per compared contract, and the checks on what the model
returned. The output is checked, not trusted: ids and titles come from the task, statuses and severities are made
consistent, similarity is clamped and excerpts trimmed; what was changed is kept next to the raw output."""

from __future__ import annotations

from shared.analysis.base import AnalyzerReply
from shared.comparison.models import ClauseFinding, ComparisonTask, ContractComparison, excerpt
from shared.comparison.outputs import LISTED_CLAUSES, SCHEMA_NAME, FindingOut, comparison_schema, title_key
from shared.comparison.prompts import comparison_messages, listed_titles
from shared.llm.client import LLMClient
from shared.llm.framing import with_notes
from shared.llm.sizing import COMPARISON_FIXED_TOKENS, FINDING_TOKENS, output_allowance

MAX_EXCERPT_CHARS = 1_500


def compare(client: LLMClient, task: ComparisonTask) -> AnalyzerReply[ContractComparison]:
    schema = comparison_schema(task.mode)
    titles = listed_titles(task)
    # Clauses mode: the reply is validated against the listed clauses (one finding each, none added), and a
    # reply that misses or repeats one gets the client's corrective retry.
    context = None if titles is None else {LISTED_CLAUSES: titles}
    out, usage, model, raw = client.complete_json(
        comparison_messages(task),
        schema,
        SCHEMA_NAME,
        task.model_selection,
        context,
        max_tokens=output_tokens(task, titles, client.max_output_tokens),
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
    return AnalyzerReply(comparison, usage, model, with_notes(raw, notes))


def output_tokens(task: ComparisonTask, titles: list[str] | None, cap: int) -> int:
    """What the answer can need: a finding per listed clause (clauses mode), or per standard clause plus the
    compared contract's clauses that may be added (full mode: half of them, more would be a different contract),
    and the summary."""
    findings = len(titles) if titles is not None else len(task.standard.clauses) + -(-len(task.compared.clauses) // 2)
    return output_allowance(cap, COMPARISON_FIXED_TOKENS, FINDING_TOKENS, findings)


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


def _trim(text: str) -> str:
    return excerpt(text, MAX_EXCERPT_CHARS)
