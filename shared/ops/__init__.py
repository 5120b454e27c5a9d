"""Operations: what an operator sees of the whole app (GET /api/ops/summary). The usage ledger (ledger.py) counts
every model call of this worker per deployment and time bucket (usage.py) and writes its running totals to the
store; the summary (summary.py, models.py) sums every worker's totals beside cross-user job counts, the quota
scheduler's backlog, the oldest running job and recent failures. Counts and figures only: no contract text, and no
user's id."""
