"""The comparison's LLM step: one structured call per compared contract, and the checks on what the model
returned. The output is checked, not trusted: ids and titles come from the task, statuses and severities are made
consistent, similarity is clamped and excerpts trimmed; what was changed is kept next to the raw output.

Every standard clause the call covers (clauses mode: the listed ones; full mode: all of them) gets exactly one
finding. The schema already confines titles to the clauses shown, so what a reply can still get wrong is to skip a
clause (or report one twice: the first finding stands). Skipped clauses are asked for once more, in a smaller call:
the clauses-mode prompt over only the skipped standard clauses, with the whole compared contract (a clause's
counterpart may sit under any heading, so the compared side cannot be cut). What that call still leaves out is
reported as `not_assessed`, with a warning: one incomplete reply never fails the job, and nothing it did answer is
lost. Both calls go through the same client, so the second one is scheduled like any later call of an activity
(it waits for its quota in the worker) and its usage is counted.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from shared.analysis.base import AnalyzerReply
from shared.analysis.token_usage import TokenUsage
from shared.comparison.models import ClauseFinding, ComparisonTask, ContractComparison, excerpt
from shared.comparison.outputs import SCHEMA_NAME, FindingOut, comparison_schema, title_key
from shared.comparison.prompts import comparison_messages
from shared.comparison.selection import listed_clauses
from shared.contracts.analysis import ClauseText
from shared.llm.client import LLMClient
from shared.llm.errors import LLMError
from shared.llm.framing import with_notes
from shared.llm.sizing import COMPARISON_FIXED_TOKENS, FINDING_TOKENS, output_allowance

MAX_EXCERPT_CHARS = 1_500
MAX_REASON_CHARS = 300


def compare(client: LLMClient, task: ComparisonTask) -> AnalyzerReply[ContractComparison]:
    covered = _covered(task)
    out, usage, model, raw = _ask(client, task)
    settled = settle([_finding(f) for f in out.clauses], [c.title for c in covered], keep_others=task.mode == "full")
    notes: dict[str, Any] = {}
    warnings: list[str] = []
    missing = settled.missing_positions()
    if missing:
        # Ask once more, for the skipped clauses only; whatever fails then is reported, never raised.
        again = reask_task(task, [covered[i] for i in missing])
        notes["reasked"] = [c.title for c in again.standard.clauses]
        try:
            more, used, _, more_raw = _ask(client, again)
        except LLMError as exc:
            usage = usage + exc.usage  # billed all the same
            reason = f"the model's reply omitted it, and asking again failed: {exc.message[:MAX_REASON_CHARS]}"
            notes["reask_error"] = exc.message[:MAX_REASON_CHARS]
        else:
            usage = usage + used
            reason = "the model's reply omitted it twice"
            notes["reask_output"] = _parsed(more_raw)
            second = settle([_finding(f) for f in more.clauses], notes["reasked"], keep_others=False)
            for position, found in zip(missing, second.listed, strict=True):
                settled.listed[position] = found
            settled.repeated += second.repeated
            settled.dropped += second.dropped
        gave_up = [covered[position] for position in settled.missing_positions()]
        for position in settled.missing_positions():
            settled.listed[position] = not_assessed(covered[position], reason)
        warnings = [f"Clause {clause.title!r} was not assessed: {reason}" for clause in gave_up]
        notes["not_assessed"] = [clause.title for clause in gave_up]
    findings = [f for f in settled.listed if f is not None] + settled.others
    similarity = min(max(out.similarity, 0.0), 1.0)
    comparison = ContractComparison(
        contract_id=task.compared.contract_id,  # never the model's: it could name any contract
        contract_title=task.compared.title,
        similarity=similarity,
        summary=out.summary.strip(),
        clauses=findings,
        warnings=warnings,
    )
    dropped = {"repeated_findings_dropped": settled.repeated, "unlisted_findings_dropped": settled.dropped}
    notes = {
        "similarity_clamped_from": out.similarity if similarity != out.similarity else None,
        **{key: value for key, value in {**notes, **dropped}.items() if value},  # what happened, only
    }
    return AnalyzerReply(comparison, usage, model, with_notes(raw, notes))


def _ask(client: LLMClient, task: ComparisonTask) -> tuple[Any, TokenUsage, str, str]:
    listed = listed_clauses(task)
    return client.complete_json(
        comparison_messages(task),
        comparison_schema(task),
        SCHEMA_NAME,
        task.model_selection,
        max_tokens=output_tokens(task, None if listed is None else [c.title for c in listed], client.max_output_tokens),
    )


def _covered(task: ComparisonTask) -> list[ClauseText]:
    """The standard clauses the reply must have one finding each for: the listed ones (clauses mode) or all."""
    listed = listed_clauses(task)
    return task.standard.clauses if listed is None else listed


def reask_task(task: ComparisonTask, skipped: list[ClauseText]) -> ComparisonTask:
    """The smaller call for clauses a reply skipped: clauses mode over a standard holding only those clauses (the
    prompt lists their titles and sends their text), and the whole compared contract."""
    standard = task.standard.model_copy(update={"clauses": skipped})
    return task.model_copy(update={"standard": standard, "mode": "clauses", "selected_clauses": None})


def output_tokens(task: ComparisonTask, titles: list[str] | None, cap: int) -> int:
    """What the answer can need: a finding per listed clause (clauses mode), or per standard clause plus the
    compared contract's clauses that may be added (full mode: half of them, more would be a different contract),
    and the summary."""
    findings = len(titles) if titles is not None else len(task.standard.clauses) + -(-len(task.compared.clauses) // 2)
    return output_allowance(cap, COMPARISON_FIXED_TOKENS, FINDING_TOKENS, findings)


@dataclass
class Settled:
    """A reply's findings against the standard clauses it had to cover."""

    listed: list[ClauseFinding | None]
    """One per covered clause, in the standard's order and titled as the standard titles it; None: skipped."""
    others: list[ClauseFinding] = field(default_factory=list)
    """Full mode: findings on no covered clause (added ones), in the reply's order."""
    repeated: list[str] = field(default_factory=list)
    """Titles of findings dropped as repeats: a covered clause's first finding stands."""
    dropped: list[str] = field(default_factory=list)
    """Clauses mode: titles of findings on clauses that were not listed (only a server that ignores the schema)."""

    def missing_positions(self) -> list[int]:
        return [i for i, finding in enumerate(self.listed) if finding is None]


def settle(findings: list[ClauseFinding], covered: list[str], *, keep_others: bool) -> Settled:
    """Place each finding on the covered clause its title names (case, spacing and escapes aside)."""
    wanted = {title_key(title) for title in covered}
    queues: dict[str, deque[ClauseFinding]] = {}
    others: list[ClauseFinding] = []
    for finding in findings:
        key = title_key(finding.title)
        if finding.status == "added" or key not in wanted:
            others.append(finding)
        else:
            queues.setdefault(key, deque()).append(finding)
    listed = [
        queue.popleft().model_copy(update={"title": title}) if (queue := queues.get(title_key(title))) else None
        for title in covered
    ]
    repeated = [finding.title for queue in queues.values() for finding in queue]
    if keep_others:
        return Settled(listed, others, repeated)
    return Settled(listed, [], repeated, [finding.title for finding in others])


def not_assessed(clause: ClauseText, reason: str) -> ClauseFinding:
    return ClauseFinding(
        title=clause.title,
        status="not_assessed",
        severity=None,
        standard_excerpt=_trim(clause.text),
        compared_excerpt="",
        explanation=f"Not assessed: {reason}.",
    )


def _finding(f: FindingOut) -> ClauseFinding:
    return ClauseFinding(
        title=f.title.strip(),
        status=f.status,
        severity=None if f.status == "matched" else f.severity,  # a matched clause has no deviation to rate
        standard_excerpt="" if f.status == "added" else _trim(f.standard_excerpt),
        compared_excerpt="" if f.status == "missing" else _trim(f.compared_excerpt),
        explanation=f.explanation.strip(),
    )


def _parsed(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _trim(text: str) -> str:
    return excerpt(text, MAX_EXCERPT_CHARS)
