"""Durable names of the batch workflow: the starters, the orchestrators and the activities use these."""

from __future__ import annotations

STAGING_ORCHESTRATOR = "batch_staging_orchestrator"
EVALUATION_ORCHESTRATOR = "batch_evaluation_orchestrator"
CHUNK_ORCHESTRATOR = "batch_chunk_orchestrator"  # a chunk of records, a sub-orchestration of the evaluation

STAGE_PLAN = "batch_stage_plan"
STAGE_DOCUMENTS = "batch_stage_documents"
STAGE_FINISH = "batch_stage_finish"
RUN_PLAN = "batch_run_plan"
EVALUATE_RECORD = "batch_evaluate_record"
RUN_FINISH = "batch_run_finish"
SAVE = "batch_save"
ECONOMY_SUBMIT = "batch_economy_submit"
ECONOMY_POLL = "batch_economy_poll"
ECONOMY_INGEST = "batch_economy_ingest"
ECONOMY_CANCEL = "batch_economy_cancel"
