"""The comparison workflow: one standard contract against N others, clause by clause.

Steps, in order (orchestrators/comparison.py runs them, activities/comparison.py adapts them, steps.py holds them):

1. retrieve — snapshot the standard and every compared contract (a later edit or delete cannot change the job);
2. prompt   — one task per compared contract (full or clauses mode, selection.py); every prompt is counted
              exactly and a pair too large for the model fails the job before any model call (findings.py);
3. compare  — one model call per compared contract, fanned out (llm.py, or offline/ for the offline analyzer),
              checked against its task; an answer already stored is never bought again;
4. enhance  — the findings of every compared contract, in request order, with the total usage;
5. save     — the result, under the job's deterministic result id.

request.py is the job's request, models.py its data, progress.py what its progress says, prompts.py and
outputs.py what the model is sent and must return, inline.py the legacy endpoint's in-process run.
"""
