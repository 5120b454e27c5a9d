"""Activity names, in one place: the activities register under them and the orchestrators call them."""

from __future__ import annotations

# activities/jobs.py
START_JOB = "job_start"
RECORD_PROGRESS = "job_record_progress"
FINALIZE_JOB = "job_finalize"

# activities/comparison.py
COMPARISON_RETRIEVE = "comparison_retrieve"
COMPARISON_PROMPT = "comparison_prompt"
COMPARISON_COMPARE = "comparison_compare_contract"
COMPARISON_ENHANCE = "comparison_enhance"
COMPARISON_SAVE = "comparison_save"

# activities/query.py
QUERY_RETRIEVE = "query_retrieve"
QUERY_PLAN = "query_plan"
QUERY_ANSWER_PART = "query_answer_part"
QUERY_GROUP = "query_group"
QUERY_COMBINE = "query_combine"
QUERY_FINISH = "query_finish"
QUERY_SAVE = "query_save"
