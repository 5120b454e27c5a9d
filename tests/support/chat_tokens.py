"""Prompt tokens of a chat request as OpenAI's token-counting guide counts them (gpt-4o / gpt-4 families): 3 per
message plus the tokens of its values (role, content; a name costs 1 more), 3 priming the reply, and the response
schema when one is sent. Written out here, apart from shared/llm/framing.py, so that tests check the client's own
count against an independent one, on what actually went over the wire."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from shared.text.tokens import count_tokens


def guide_prompt_tokens(
    messages: Iterable[Mapping[str, Any]], encoding: str, schema: Mapping[str, Any] | None = None
) -> int:
    total = 3  # the reply is primed with <|start|>assistant<|message|>
    for message in messages:
        total += 3 + sum(count_tokens(str(value), encoding) for value in message.values())
        total += 1 if "name" in message else 0
    return total + (count_tokens(json.dumps(schema, separators=(",", ":")), encoding) if schema else 0)
