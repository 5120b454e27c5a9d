"""Durable names of the comparison workflow: the starters, the orchestrator and the activities use these."""

from __future__ import annotations

ORCHESTRATOR = "comparison_orchestrator"

RETRIEVE = "comparison_retrieve"
PROMPT = "comparison_prompt"
COMPARE = "comparison_compare_contract"
ENHANCE = "comparison_enhance"
SAVE = "comparison_save"
