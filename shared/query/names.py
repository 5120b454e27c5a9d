"""Durable names of the query workflow: the starters, the orchestrator and the activities use these."""

from __future__ import annotations

ORCHESTRATOR = "query_orchestrator"

RETRIEVE = "query_retrieve"
PLAN = "query_plan"
ANSWER_PART = "query_answer_part"
GROUP = "query_group"
COMBINE = "query_combine"
FINISH = "query_finish"
SAVE = "query_save"
