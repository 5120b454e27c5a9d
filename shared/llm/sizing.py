"""How many output tokens a call asks for (`max_tokens`): what its answer can need, not a blanket maximum.

Azure charges `max_tokens` against the deployment's quota at arrival, whatever the answer then uses, so a generous
figure wastes quota that other calls wait for. Each workflow sizes its calls from its output schema and input (a
comparison's findings scale with the clauses it covers, a query part's answer with its contracts, a combine with
its parts) with the per-item figures below. They are deliberately a little generous: a cut-off answer is asked
again with twice the room (shared/llm/client.py), which costs the whole prompt again.
"""

from __future__ import annotations

MIN_OUTPUT_TOKENS = 256

# One JSON finding of a comparison: title, status, severity, two short verbatim excerpts, one or two sentences.
FINDING_TOKENS = 180
# A comparison's similarity and its two- or three-sentence summary, with the object's own keys.
COMPARISON_FIXED_TOKENS = 200
# A query part: the overall answer and its citations, then per contract an answer and its citations.
PART_FIXED_TOKENS = 300
PER_CONTRACT_TOKENS = 220
# A combine: the combined answer, then the citations it keeps (copied from the parts) and a little per part.
COMBINE_FIXED_TOKENS = 300
PER_PART_TOKENS = 120
PER_CITATION_TOKENS = 60


def output_allowance(cap: int, fixed: int, per_item: int = 0, items: int = 0) -> int:
    """max_tokens for an answer of `fixed` tokens plus `per_item` for each of `items`, within [256, cap]
    (`cap` is LLM_MAX_OUTPUT_TOKENS: the planners reserve exactly that much room for any call's output)."""
    return max(min(fixed + per_item * items, cap), min(MIN_OUTPUT_TOKENS, cap))
