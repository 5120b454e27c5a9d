"""One message of a chat completion request, as every prompt builder returns it and the LLM client sends it.

A module of its own, below both: the prompt builders (shared/llm/framing.py, replies.py, each workflow's
prompts.py) and the client all import it from here, so none of them imports the client for a type.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str
