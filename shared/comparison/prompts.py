"""The comparison prompt: the standard and the compared contract as delimited data, the status and severity
definitions, and in clauses mode the list of standard clauses to report on one by one."""

from __future__ import annotations

import json

from shared.comparison.models import ComparisonTask
from shared.comparison.selection import listed_clauses
from shared.contracts.analysis import ContractForAnalysis
from shared.llm.chat_message import ChatMessage
from shared.llm.delimiters import element
from shared.llm.framing import DATA_NOT_INSTRUCTIONS, chat, render_contract

STATUS_DEFINITIONS = """Clause status (one per finding):
- matched: the clause is in both contracts with the same legal effect. Differences only in wording, numbering,
  order, headings or formatting (reformatting alone) are matched.
- modified: the clause is in both contracts but the compared contract changes its legal effect (parties' rights
  or obligations, amounts, time periods, thresholds, scope, exceptions, governing law, remedies).
- missing: the standard contract has the clause and the compared contract has no equivalent.
- added: the compared contract has a clause with no equivalent in the standard contract.

Severity (only for modified, missing and added; null for matched):
- low: a deviation with little practical effect on risk or cost (e.g. a slightly different notice address
  or an administrative detail).
- medium: a material deviation a reviewer should check (e.g. changed notice periods, payment terms, caps
  within the same order of magnitude).
- high: a deviation that shifts significant risk, liability or cost (e.g. removed or uncapped liability,
  lost indemnity, IP ownership, confidentiality, termination rights, exclusivity)."""


def selected_standard(task: ComparisonTask) -> ContractForAnalysis:
    """The standard contract as a comparison prompt carries it: in clauses mode only its listed clauses (every
    clause when none is selected), so the model assesses nothing else and a long standard with a few selected
    clauses fits. The compared contract always goes whole: a listed clause's counterpart may have any heading."""
    listed = listed_clauses(task)
    if listed is None:
        return task.standard
    return task.standard.model_copy(update={"clauses": listed})


def listed_titles(task: ComparisonTask) -> list[str] | None:
    """The standard clause titles a clauses-mode reply must have one finding each for (None in full mode)."""
    listed = listed_clauses(task)
    return None if listed is None else [clause.title for clause in listed]


def comparison_messages(task: ComparisonTask) -> list[ChatMessage]:
    titles = listed_titles(task)
    if titles is not None:
        scope = (
            "Only assess the standard contract's clauses listed in <selected_clauses>, one by one: report exactly "
            "one finding per listed clause (matched, modified or missing), with its title exactly as listed and in "
            "the listed order. Look for each clause's counterpart anywhere in the compared contract, whatever its "
            "heading. Do not report clauses of the compared contract that have no equivalent in the standard: "
            "there are no added findings in this comparison."
        )
    else:
        scope = (
            "Assess the whole contract: one finding per clause of the standard contract (matched, modified or "
            "missing), plus one finding per clause of the compared contract with no equivalent (added)."
        )
    system = (
        "You are a contracts lawyer comparing a contract against the organisation's standard contract.\n"
        f"{DATA_NOT_INSTRUCTIONS}\n\n{STATUS_DEFINITIONS}\n\n"
        f"{scope}\n"
        "For each finding give the clause title as in the standard contract (the compared contract's title for "
        "added clauses), short verbatim excerpts of the relevant text from each side (empty string for the side "
        "that has no such clause) and a one or two sentence explanation of the difference and its effect.\n"
        "similarity is a number from 0 to 1: how closely the compared contract follows the standard overall "
        "(1 = same legal effect throughout). summary is two or three sentences for a reviewer.\n"
        "Reply with one JSON object that follows the response schema."
    )
    parts = [
        render_contract(selected_standard(task), role="standard"),
        render_contract(task.compared, role="compared"),
    ]
    if titles is not None:
        parts.append(element("selected_clauses", json.dumps(titles, ensure_ascii=False)))
    user = "\n\n".join(parts)
    return chat(system, user)
