"""The batch workflow (the seed's DocumentEvaluator, done in full): documents in folders, evaluated against
configured prompts with scoring, every score tied to evidence quoted from the document.

Two jobs, each a Durable orchestration (orchestrators/batch_staging.py, batch_evaluation.py):

Staging (staging.py), `POST /api/batches/{id}/stage` or `/reprocess-staging`:
1. plan     — snapshot the configuration (later edits never change a staged batch), find the folders' documents;
2. stage    — per chunk of documents, fanned out: extract the text (kept with the document), count its tokens,
              create one response record per document x prompt (QUEUED); a bad document is listed with its
              reason and does not sink the rest;
3. finish   — the batch STAGED, or FAILED_STAGING when nothing could be staged.

Evaluation (running.py), `POST /api/batches/{id}/run`:
1. plan     — the records to run: QUEUED and F (a finished batch re-runs only its failures), in chunks;
2. evaluate — one sub-orchestration per chunk of records, each record one model call (llm.py, or offline.py for
              the offline analyzer) unless the answer cache already holds its answer (answer_cache.py: never pay twice);
              its score is checked against the prompt's scoring and its evidence against the document's text;
              a failure marks that record F and never loses the others;
3. finish   — overall score per document, the batch summary (summary.py) and its status: COMPLETED,
              COMPLETED_WITH_ERRORS or FAILED; a cancel leaves it CANCELLED with every answer kept.

models.py holds the data, service.py the batch's status changes, scoring.py the scoring rules, evaluation.py
what an evaluation is and how its answer is checked, progress.py what the jobs' progress says.
"""
