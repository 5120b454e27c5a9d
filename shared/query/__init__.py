"""The query workflow: a natural-language question over a set of contracts, answered with verbatim citations.

Steps, in order (orchestrators/query.py runs them, activities/query.py adapts them, steps.py holds them):

1. retrieve — snapshot the set's contracts, in chunks (progress moves as chunks finish);
2. plan     — with a model, keep of each contract the clauses that can hold the answer (retrieval.py, unless the
              request says "retrieval": "all"); split the set into parts that each fit the model's context, counted
              exactly with each part's own reply schema (plan.py, meter.py);
3. answer   — one model call per part, fanned out (llm.py, or offline/ for the offline analyzer); every
              citation is checked to be verbatim (answers.py);
4. reduce   — group the answers so every combine prompt fits, combine each group, and repeat until one answer
              remains (reduce.py); a single part needs no combine;
5. finish   — the result from the reduce tree's root, per-contract answers from the parts, the total usage;
6. save     — the result, under the job's deterministic result id.

request.py is the job's request, models.py its data, progress.py what its progress says, prompts.py and
outputs.py what the model is sent and must return (each reply's schema bounded to the ids and titles it shows),
inline.py the legacy endpoint's in-process run.
"""
