"""The key of a model answer: everything that determines it. A record whose key already has an answer — from a
crashed run, a re-run, or another batch of the same user — reuses it instead of calling the model again."""

from __future__ import annotations

import hashlib
import json

from shared.batches.models import ModelConfig, PromptConfig


def answer_key(document_sha256: str, prompt: PromptConfig, model_name: str, model: ModelConfig) -> str:
    """sha256 over the document's bytes' hash, the prompt's text and scoring, the model and its parameters (the
    prompt's name is left out: renaming a prompt does not change what the model would answer)."""
    parts = {
        "document": document_sha256,
        "prompt": prompt.text,
        "scoring": prompt.scoring.model_dump(mode="json"),
        "model": model_name,
        "temperature": model.temperature,
        "max_tokens": model.max_tokens,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
