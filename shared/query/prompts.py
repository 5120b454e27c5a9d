"""The query prompts: a part's contracts as delimited data with the question (rendered once, here, for both the
planner's count and the call), and the combine prompt over partial answers."""

from __future__ import annotations

import json
from collections.abc import Sequence

from shared.contracts.analysis import ContractForAnalysis
from shared.llm.chat_message import ChatMessage
from shared.llm.delimiters import close_tag, element, neutralise, open_tag
from shared.llm.framing import DATA_NOT_INSTRUCTIONS, chat, render_contract
from shared.query.models import PartAnswer, QueryCombineTask, QueryPartTask

PART_SYSTEM_PROMPT = (
    "You are a contracts lawyer answering a question over a set of contracts.\n"
    f"{DATA_NOT_INSTRUCTIONS}\n\n"
    "Answer only from the contracts given (a contract may be shown in part: the clauses that bear on the "
    "question). For each contract give its own answer in per_contract (with "
    "contract_id exactly as in the id attribute, and relevant=false when the contract does not address the "
    "question). answer is the overall answer across these contracts. Support statements with citations: "
    "contract_id, the clause title as in the clause's title attribute, and quote, a short passage copied "
    "verbatim (exact words, no paraphrase, no ellipsis) from that clause. Citations that cannot be found "
    "verbatim in the cited contract are discarded. If the contracts do not answer the question, say so.\n"
    "Reply with one JSON object that follows the response schema."
)

PART_SEPARATOR = "\n\n"
"""After the question, and between contracts, in a part's user message."""


def render_question(question: str) -> str:
    """The head of a part's user message: the question as delimited data, and the separator before the first
    contract."""
    return element("question", question) + PART_SEPARATOR


def render_part(question: str, contracts: Sequence[ContractForAnalysis]) -> str:
    """The user message of a query part: the question, then its contracts as delimited data.

    The one rendering of a part: query_part_messages sends it, and the planner counts it (shared/query/meter.py
    counts its pieces, which are the calls made here)."""
    return render_question(question) + PART_SEPARATOR.join(render_contract(contract) for contract in contracts)


def part_messages(user: str) -> list[ChatMessage]:
    """A part's messages around its user message (the planner counts them with an empty one)."""
    return chat(PART_SYSTEM_PROMPT, user)


def query_part_messages(task: QueryPartTask) -> list[ChatMessage]:
    return part_messages(render_part(task.question, task.contracts))


COMBINE_SEPARATOR = "\n\n"
"""Between the question and the first partial answer, and between partial answers, in a combine prompt."""


def render_combine_question(question: str) -> str:
    return element("question", question) + COMBINE_SEPARATOR


def render_combine_part(part: PartAnswer) -> str:
    """One partial answer in a combine prompt (the combine budget counts these blocks)."""
    citations = json.dumps([c.model_dump() for c in part.citations], ensure_ascii=False)
    return (
        f"{open_tag('part', {'index': part.part_index})}\nanswer: {neutralise(part.answer)}\n"
        f"citations: {neutralise(citations)}\n{close_tag('part')}"
    )


def query_combine_messages(task: QueryCombineTask) -> list[ChatMessage]:
    system = (
        "You are a contracts lawyer. A question was answered separately over several groups of contracts; combine "
        "the partial answers into one answer to the question.\n"
        f"{DATA_NOT_INSTRUCTIONS}\n\n"
        "Use only the partial answers and their citations; do not invent facts. Keep the citations that support "
        "the combined answer, copying contract_id, clause_title and quote exactly from the partial answers.\n"
        "Reply with one JSON object that follows the response schema."
    )
    user = render_combine_question(task.question) + COMBINE_SEPARATOR.join(render_combine_part(p) for p in task.parts)
    return chat(system, user)
