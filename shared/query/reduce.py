"""The query job's reduce, budgeted: group partial answers so that every combine prompt fits the model.

A combine prompt is counted exactly as the LLM client sends it (shared.query.prompts.query_combine_messages, chat
framing, the group's own response schema, whose citations are bounded to the ids and titles the group's answers
cite), against the same room the planner gives a part: the model's context minus the output reserve. Answers are
grouped in order, greedily; a group's estimate (the prompt's fixed cost plus each answer's block, counted with the
separator that follows it, plus what the group's bounds add to the schema) is then checked by counting the whole
prompt, and the group shrinks if the check disagrees. Combining the groups gives the next, smaller level; the
orchestrator repeats until one answer remains. An answer that does not fit a prompt on its own fails the job:
nothing is cut.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.analysis.base import Analyzer
from shared.errors import ValidationFailed
from shared.llm.framing import prompt_allowance, sent_prompt_tokens
from shared.query.answers import combine_group
from shared.query.models import AnalyzedPart, PartAnswer, QueryCombineTask
from shared.query.outputs import OPEN, ReplyBounds, combine_bounds, combine_schema, combine_schema_text
from shared.query.prompts import COMBINE_SEPARATOR, query_combine_messages, render_combine_part
from shared.query.request import QueryJobRequest
from shared.text.tokens import count_tokens, encoding_for_model


class CombineTooLarge(ValidationFailed):
    """Partial answers that no combine prompt within the model's context can hold."""

    code = "combine_too_large"


def answer_label(level: int, index: int) -> str:
    """How an error names a node of the reduce tree: "part 3" (a map answer) or "combined answer 2 of round 1"."""
    return f"part {index + 1}" if level == 0 else f"combined answer {index + 1} of round {level}"


class CombineMeter:
    """Exact prompt tokens of combine calls for one question, model encoding and budget."""

    def __init__(self, question: str, encoding: str, allowed: int) -> None:
        self.question = question
        self.encoding = encoding
        self.allowed = allowed
        """Prompt tokens a combine call may use: the model's context minus the output reserve."""
        self.fixed = self.prompt([])
        """A combine prompt with no partial answers: instructions, question, framing, the schema left open."""
        self._open = count_tokens(combine_schema_text(OPEN), encoding)
        self._bounds: dict[str, int] = {}

    def prompt(self, answers: Sequence[PartAnswer]) -> int:
        """Exact tokens of the combine prompt over `answers`, counted whole, with their bounded schema."""
        messages = query_combine_messages(QueryCombineTask(question=self.question, parts=list(answers)))
        return sent_prompt_tokens(messages, combine_schema(combine_bounds(answers)), self.encoding)

    def bounds(self, bounds: ReplyBounds) -> int:
        """Tokens a combine schema with these bounds costs over the open one (in `fixed`)."""
        text = combine_schema_text(bounds)
        if text not in self._bounds:
            self._bounds[text] = count_tokens(text, self.encoding) - self._open
        return self._bounds[text]

    def block(self, answer: PartAnswer, followed: bool) -> int:
        text = render_combine_part(answer) + (COMBINE_SEPARATOR if followed else "")
        return count_tokens(text, self.encoding)


def group_answers(meter: CombineMeter, answers: Sequence[PartAnswer], level: int = 0) -> list[int]:
    """Sizes of consecutive groups of `answers` whose combine prompts each fit `meter.allowed`.

    Raises CombineTooLarge when an answer alone does not fit, or when no two neighbours fit together (the next
    level would be as large as this one, and the reduce would never end)."""
    if not answers:
        return []
    closed = [meter.block(a, followed=True) for a in answers]
    last = [meter.block(a, followed=False) for a in answers]
    sizes: list[int] = []
    start = 0
    while start < len(answers):
        end = start + 1
        used = closed[start]
        bounds = combine_bounds(answers[start:end])
        while end < len(answers):
            wider = bounds.adding_citations(answers[end])
            if meter.fixed + used + last[end] + meter.bounds(wider) > meter.allowed:
                break
            used, bounds = used + closed[end], wider
            end += 1
        # The estimate is exact when block boundaries are token boundaries; the whole prompt is the judge.
        while (tokens := meter.prompt(answers[start:end])) > meter.allowed and end - start > 1:
            end -= 1
        if tokens > meter.allowed:
            raise CombineTooLarge(
                f"{answer_label(level, start)} is too large to combine: its combine prompt needs {tokens} tokens "
                f"({tokens - meter.fixed} for the answer, {meter.fixed} for instructions and question), more than "
                f"the {meter.allowed} the model allows after its output reserve",
                {"answer": answer_label(level, start), "tokens": tokens, "allowed": meter.allowed},
            )
        sizes.append(end - start)
        start = end
    if len(answers) > 1 and len(sizes) == len(answers):
        pair = meter.prompt(answers[:2])
        raise CombineTooLarge(
            f"no two answers of {'the parts' if level == 0 else f'round {level}'} fit one combine prompt "
            f"(the first two need {pair} tokens, the model allows {meter.allowed} after its output reserve): "
            "a larger context or a smaller output reserve is needed",
            {"level": level, "tokens": pair, "allowed": meter.allowed},
        )
    return sizes


def combine_meter(analyzer: Analyzer, request: QueryJobRequest, output_reserve: int) -> CombineMeter:
    """The exact combine budget: the room the planner gives a part (context minus output reserve)."""
    selection = request.modelSelection
    allowed = prompt_allowance(analyzer, selection, output_reserve)
    return CombineMeter(request.question, encoding_for_model(analyzer.model_name(selection)), allowed)


def reduce_in_process(
    analyzer: Analyzer, request: QueryJobRequest, parts: Sequence[AnalyzedPart], output_reserve: int
) -> list[AnalyzedPart]:
    """The inline path's reduce: the same tree as a job's, round by round, in this process. Returns the combined
    nodes in round order (the last is the root; none for a single part)."""
    nodes: list[AnalyzedPart] = []
    level, answers = 0, [p.answer for p in parts]
    meter: CombineMeter | None = None
    while len(answers) > 1:
        meter = meter or combine_meter(analyzer, request, output_reserve)
        sizes = group_answers(meter, answers, level)
        starts = [sum(sizes[:g]) for g in range(len(sizes))]
        round_nodes = [
            combine_group(analyzer, request, answers[first : first + size], g)[0]
            for g, (first, size) in enumerate(zip(starts, sizes, strict=True))
        ]
        nodes.extend(round_nodes)
        level, answers = level + 1, [n.answer for n in round_nodes]
    return nodes
