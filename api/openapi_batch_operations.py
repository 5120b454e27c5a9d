"""The OpenAPI description of the batches endpoints and the Server-Sent-Events streams (the rest:
api/openapi_operations.py)."""

from __future__ import annotations

from api.batch_exports import ExportRow
from api.batch_views import BatchCancelAccepted, BatchCreated, BatchDetail, BatchList, RecordList
from api.openapi_dsl import (
    CONTINUATION,
    JOB_ID,
    JOB_LINKS,
    START_FAILED,
    STARTED,
    TOO_MANY_JOBS,
    TOO_MANY_RECORDS,
    TOO_MANY_STREAMS,
    USER_ID,
    Content,
    Operation,
    Param,
    Reply,
    comma_list,
    json_reply,
    limit,
    links_to,
    path_id,
    ref,
)
from api.sse import Heartbeat
from shared.batches.models import BatchConfig
from shared.batches.request import RunBatch
from shared.batches.staging_answer import StagingAnswer
from shared.errors import ErrorBody
from shared.jobs.document import Job, JobSubmitted, JobsUpdate

BATCH_ID = path_id("batch_id", "batch")
JOB_STARTED = json_reply(202, JobSubmitted, "The job, queued; poll `statusQueryGetUri`.", STARTED, JOB_LINKS)
BATCH_LINKS = links_to(
    "batch_id",
    "batch_id",
    GetBatch="get_batch",
    UpdateBatch="update_batch",
    StageBatch="stage_batch",
    ReprocessStaging="reprocess_batch_staging",
    RunBatch="run_batch",
    CancelBatch="cancel_batch",
    ListResponses="list_batch_responses",
    ExportCsv="export_batch_csv",
    ExportJsonl="export_batch_jsonl",
)
BUSY = "The batch's status does not allow this, or a job already works on it."
INVALID_CONFIG = (
    "Invalid configuration: `details` lists the fields (`invalid_request`). Every `checks` pattern is compiled with "
    "RE2: one it cannot run (backreferences, lookaround, `\\Z`, repetitions over {1000}, too large) is refused at "
    "its `regex` field naming the check and why, as are a prompt's checks over 2,500 RE2 instructions together. "
    "Folders the caller has no documents in are refused as `unknown_folders`, naming them."
)

BATCHES: tuple[Operation, ...] = (
    Operation(
        "create_batch",
        "POST",
        "/batches",
        "Batches",
        "Create a batch: folders, prompts with their scoring, a model",
        (json_reply(201, BatchCreated, "Saved (status SAVED).", ("Location",), BATCH_LINKS),),
        body=BatchConfig,
        error_notes={422: f"{INVALID_CONFIG} Or {TOO_MANY_RECORDS}. Nothing is created."},
    ),
    Operation(
        "list_batches",
        "GET",
        "/batches",
        "Batches",
        "The caller's batches, newest first",
        (json_reply(200, BatchList, "One page of batches."),),
        errors=(400,),
        params=(limit(50, 100), CONTINUATION),
    ),
    Operation(
        "get_batch",
        "GET",
        "/batches/{batch_id}",
        "Batches",
        "A batch with its counts, the progress of its job and the actions it allows",
        (json_reply(200, BatchDetail, "The batch."),),
        errors=(404,),
        params=(BATCH_ID,),
    ),
    Operation(
        "update_batch",
        "PUT",
        "/batches/{batch_id}",
        "Batches",
        "Replace a batch's configuration (a staged batch keeps its snapshot)",
        (json_reply(200, BatchDetail, "The batch as it is now."),),
        errors=(404, 409),
        params=(BATCH_ID,),
        body=BatchConfig,
        error_notes={
            409: "The batch is staging or running.",
            422: f"{INVALID_CONFIG} Or {TOO_MANY_RECORDS}. Nothing changes.",
        },
    ),
    Operation(
        "stage_batch",
        "POST",
        "/batches/{batch_id}/stage",
        "Batches",
        "Stage a batch: extract its documents' text, one QUEUED record per document and prompt",
        (JOB_STARTED,),
        errors=(404, 409, 503),
        params=(BATCH_ID,),
        error_notes={409: BUSY, 422: f"{TOO_MANY_RECORDS}.", 429: TOO_MANY_JOBS, 503: START_FAILED},
    ),
    Operation(
        "reprocess_batch_staging",
        "POST",
        "/batches/{batch_id}/reprocess-staging",
        "Batches",
        "Stage what is missing or failed, and wait for it up to BATCH_SYNC_WAIT_SECONDS",
        (json_reply(200, StagingAnswer, "Staging ended in time (the seed's answer)."), JOB_STARTED),
        errors=(404, 409, 500, 503),
        params=(BATCH_ID,),
        error_notes={
            409: f"{BUSY} Or the staging job was cancelled (`staging_cancelled`).",
            422: f"{TOO_MANY_RECORDS}.",
            429: TOO_MANY_JOBS,
            500: "The staging job failed (`staging_failed`; `details.statusQueryGetUri` has the job).",
            503: START_FAILED,
        },
    ),
    Operation(
        "run_batch",
        "POST",
        "/batches/{batch_id}/run",
        "Batches",
        "Evaluate a staged batch's QUEUED and failed records (a finished batch re-runs its failures)",
        (JOB_STARTED,),
        errors=(404, 409, 503),
        params=(BATCH_ID,),
        body=RunBatch,
        body_required=False,
        error_notes={
            409: BUSY,
            422: "Invalid body, or mode `economy` without a Batch API (`mode_not_available`).",
            429: TOO_MANY_JOBS,
            503: START_FAILED,
        },
    ),
    Operation(
        "cancel_batch",
        "POST",
        "/batches/{batch_id}/cancel",
        "Batches",
        "Cancel the staging or run in progress; what was answered is kept",
        (json_reply(202, BatchCancelAccepted, "Cancelled."),),
        errors=(404, 409),
        params=(BATCH_ID,),
        error_notes={409: "No staging or run is in progress."},
    ),
    Operation(
        "list_batch_responses",
        "GET",
        "/batches/{batch_id}/responses",
        "Batches",
        "A batch's response records, a page at a time",
        (json_reply(200, RecordList, "One page of records."),),
        errors=(400, 404),
        params=(
            BATCH_ID,
            comma_list("status", ref("RecordStatus"), "Only records in these statuses, comma-separated (`S,F`)."),
            limit(100, 1000),
            CONTINUATION,
        ),
    ),
    Operation(
        "export_batch_csv",
        "GET",
        "/batches/{batch_id}/export.csv",
        "Batches",
        "Every record as CSV, streamed",
        (
            Reply(
                200,
                "UTF-8 with a byte order mark, RFC 4180, a header row; one row per record in the columns of "
                "ExportRow; evidence quotes joined by line breaks; a cell a spreadsheet would run as a formula "
                "starts with an apostrophe.",
                (Content("text/csv", schema={"type": "string"}, extensions={"x-row-schema": ExportRow}),),
                ("Content-Disposition",),
            ),
        ),
        errors=(404,),
        params=(BATCH_ID,),
    ),
    Operation(
        "export_batch_jsonl",
        "GET",
        "/batches/{batch_id}/export.jsonl",
        "Batches",
        "Every record as JSON Lines, streamed",
        (
            Reply(
                200,
                "One ExportRow object per line.",
                (Content("application/x-ndjson", schema={"type": "string"}, extensions={"x-row-schema": ExportRow}),),
                ("Content-Disposition",),
            ),
        ),
        errors=(404,),
        params=(BATCH_ID,),
    ),
)


def _events(**events: object) -> Content:
    return Content("text/event-stream", events=events)


STREAM_NOTE = (
    "Server-Sent Events. The stream starts with `retry:`; `heartbeat` events (no id) come every "
    "STREAM_HEARTBEAT_SECONDS and `: keep-alive` comments when nothing else was sent for STREAM_KEEPALIVE_SECONDS; "
    "the stream ends itself after STREAM_MAX_SECONDS and EventSource resumes with Last-Event-ID."
)
LISTED = (
    "`jobs_update` (data: JobsUpdate) on connect and whenever a listed job changes; its id is a cursor (the time of "
    "the newest change). Listed: the `status` filter, or by default the queued and processing jobs and those that "
    "ended since the stream opened. An `error` event (data: the error shape) if the jobs cannot be read. "
)
USER_STREAM_PARAMS = (
    comma_list("status", ref("JobStatus"), "List the jobs in these statuses, comma-separated."),
    Param("Last-Event-ID", "header", {"type": "string"}, "The id of the last event received (a resumed stream)."),
)

STREAMS: tuple[Operation, ...] = (
    Operation(
        "stream_job",
        "GET",
        "/jobs/{job_id}/stream",
        "Streams",
        "One job's progress as Server-Sent Events",
        (
            Reply(
                200,
                "`job_update` (data: the job) on connect and whenever its status or progress changes, its id the "
                "progress `seq`; the stream ends after the event with a terminal status. An unknown job, or another "
                "user's, gets one `error` event (data: the error shape) and the end of the stream. " + STREAM_NOTE,
                (_events(job_update=Job, heartbeat=Heartbeat, error=ErrorBody),),
            ),
            Reply(204, "The client already has the terminal event (Last-Event-ID): EventSource stops reconnecting."),
        ),
        error_notes={429: TOO_MANY_STREAMS},
        params=(
            JOB_ID,
            Param("Last-Event-ID", "header", {"type": "string"}, "The `seq` of the last `job_update` received."),
        ),
    ),
    Operation(
        "stream_my_jobs",
        "GET",
        "/jobs/stream",
        "Streams",
        "The caller's jobs as Server-Sent Events",
        (
            Reply(
                200,
                LISTED + STREAM_NOTE,
                (_events(jobs_update=JobsUpdate, heartbeat=Heartbeat, error=ErrorBody),),
            ),
        ),
        errors=(400,),
        error_notes={429: TOO_MANY_STREAMS},
        params=USER_STREAM_PARAMS,
    ),
    Operation(
        "stream_user_jobs",
        "GET",
        "/jobs/user/{user_id}/stream",
        "Streams",
        "The caller's jobs as Server-Sent Events (the seed's path)",
        (
            Reply(
                200,
                LISTED + STREAM_NOTE,
                (_events(jobs_update=JobsUpdate, heartbeat=Heartbeat, error=ErrorBody),),
            ),
        ),
        errors=(400, 403),
        error_notes={429: TOO_MANY_STREAMS},
        params=(USER_ID, *USER_STREAM_PARAMS),
    ),
)
