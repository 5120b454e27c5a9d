"""The OpenAPI description of the jobs, results, health and legacy endpoints (see api/openapi_operations.py)."""

from __future__ import annotations

from api.health import HealthReport, HealthStatus
from api.legacy import (
    LegacyBatchAccepted,
    LegacyCompareRequest,
    LegacyComparisonAnswer,
    LegacyQueryAccepted,
    LegacyQueryAnswer,
    LegacyQueryRequest,
)
from api.openapi_dsl import (
    CONTINUATION,
    JOB_ID,
    JOB_LINKS,
    START_FAILED,
    STARTED,
    TOO_MANY_JOBS,
    USER_ID,
    Content,
    Operation,
    Param,
    Reply,
    comma_list,
    json_reply,
    limit,
    path_id,
    ref,
)
from shared.comparison.request import SubmitComparisonJob
from shared.jobs.document import Job, JobCancelAccepted, JobList, JobStatusView, JobSubmitted
from shared.jobs.results import ResultView
from shared.query.request import SubmitQueryJob
from shared.reports import MEDIA_TYPES

JOB_FILTERS = (
    comma_list("status", ref("JobStatus"), "Only jobs in these statuses, comma-separated (`queued,processing`)."),
    Param("job_type", "query", ref("JobType"), "Only jobs of this type.", empty_is_absent=True),
    limit(50, 100),
    CONTINUATION,
)

REPORT_DOCX = MEDIA_TYPES["docx"]
JOBS: tuple[Operation, ...] = (
    Operation(
        "submit_comparison_job",
        "POST",
        "/jobs/comparison",
        "Jobs",
        "Start a comparison job: one standard contract against others, clause by clause",
        (json_reply(202, JobSubmitted, "Queued; poll `statusQueryGetUri`.", STARTED, JOB_LINKS),),
        errors=(503,),
        body=SubmitComparisonJob,
        error_notes={
            422: "Invalid body, unknown contracts (`unknown_contracts`) or selected clauses the standard does not "
            "have (`unknown_clauses`); nothing is created.",
            429: TOO_MANY_JOBS,
            503: START_FAILED,
        },
    ),
    Operation(
        "submit_query_job",
        "POST",
        "/jobs/query",
        "Jobs",
        "Start a query job: a question over a set of contracts, answered with citations",
        (json_reply(202, JobSubmitted, "Queued; poll `statusQueryGetUri`.", STARTED, JOB_LINKS),),
        errors=(503,),
        body=SubmitQueryJob,
        error_notes={
            422: "Invalid body or unknown contracts (`unknown_contracts`).",
            429: TOO_MANY_JOBS,
            503: START_FAILED,
        },
    ),
    Operation(
        "list_jobs",
        "GET",
        "/jobs",
        "Jobs",
        "The caller's jobs, newest first, with counts per status",
        (json_reply(200, JobList, "One page of jobs."),),
        errors=(400,),
        params=JOB_FILTERS,
    ),
    Operation(
        "list_user_jobs",
        "GET",
        "/jobs/user/{user_id}",
        "Jobs",
        "The caller's jobs (the seed's path)",
        (json_reply(200, JobList, "One page of jobs."),),
        errors=(400, 403),
        params=(USER_ID, *JOB_FILTERS),
    ),
    Operation(
        "get_job",
        "GET",
        "/jobs/{job_id}",
        "Jobs",
        "The job document",
        (json_reply(200, Job, "The job, typed by `job_type`."),),
        errors=(404,),
        params=(JOB_ID,),
    ),
    Operation(
        "get_job_status",
        "GET",
        "/jobs/{job_id}/status",
        "Jobs",
        "The job in the shape of Durable's check-status response",
        (
            json_reply(200, JobStatusView, "The job has ended (completed, failed or cancelled)."),
            json_reply(202, JobStatusView, "Queued or running: poll again after Retry-After.", STARTED),
        ),
        errors=(404,),
        params=(JOB_ID,),
    ),
    Operation(
        "cancel_job",
        "POST",
        "/jobs/{job_id}/cancel",
        "Jobs",
        "Cancel a queued or running job (it stops at its next step)",
        (json_reply(202, JobCancelAccepted, "Cancelled."),),
        errors=(404, 409),
        params=(JOB_ID,),
        error_notes={409: "The job has already ended."},
    ),
    Operation(
        "retry_job",
        "POST",
        "/jobs/{job_id}/retry",
        "Jobs",
        "Run a failed or cancelled job again, as a new job with `retry_of`",
        (json_reply(202, JobSubmitted, "The new job, queued.", STARTED, JOB_LINKS),),
        errors=(404, 409, 422, 503),
        params=(JOB_ID,),
        error_notes={
            409: "Only failed or cancelled jobs can be retried.",
            422: "Its contracts are gone (`unknown_contracts`).",
            429: TOO_MANY_JOBS,
            503: START_FAILED,
        },
    ),
    Operation(
        "get_result",
        "GET",
        "/results/{result_id}",
        "Jobs",
        "A completed job's result",
        (json_reply(200, ResultView, "The result."),),
        errors=(404,),
        params=(path_id("result_id", "result"),),
        description="A comparison's modified findings carry `redline`: the word-level changes from the standard's "
        "excerpt to the compared one as `equal` / `insert` / `delete` runs (results saved before redlines get them "
        "when read).",
    ),
    Operation(
        "get_result_report_docx",
        "GET",
        "/results/{result_id}/report.docx",
        "Jobs",
        "A comparison or query result as a Word document to send",
        (
            Reply(
                200,
                "A .docx file: title (the job's), date, the contracts by name; a comparison's summary table "
                "(clauses matched / modified / missing / added and high-severity findings per contract), its "
                "high-severity list, then per contract each finding with its severity, the redline as Word "
                "formatting (insertions underlined, deletions struck through) and the explanation; a query's "
                "question, answer and citations. Named after the job's title.",
                (Content(REPORT_DOCX, schema={"type": "string", "format": "binary"}),),
                ("Content-Disposition",),
            ),
        ),
        errors=(404,),
        error_notes={404: "Unknown result, or a batch's result, which has no report (`report_not_available`)."},
        params=(path_id("result_id", "result"),),
    ),
    Operation(
        "get_result_report_markdown",
        "GET",
        "/results/{result_id}/report.md",
        "Jobs",
        "The same report as Markdown, for pasting",
        (
            Reply(
                200,
                "UTF-8 Markdown with the Word report's content; the redline as <ins> and <del>; every piece of "
                "contract and model text escaped, so it cannot add headings, links, lists or HTML.",
                (Content("text/markdown", schema={"type": "string"}),),
                ("Content-Disposition",),
            ),
        ),
        errors=(404,),
        error_notes={404: "Unknown result, or a batch's result, which has no report (`report_not_available`)."},
        params=(path_id("result_id", "result"),),
    ),
    Operation(
        "jobs_health",
        "GET",
        "/jobs/health",
        "Operations",
        "The app's health: the status for anyone, the storage and LLM configuration checks for operators",
        (
            json_reply(200, HealthReport | HealthStatus, "Healthy. `checks` only for callers with the app role `ops`."),
            json_reply(
                503,
                HealthReport | HealthStatus,
                "Unhealthy. Callers with the app role `ops` get `checks`, which say what failed.",
            ),
        ),
        anonymous=True,
        description='Anonymous callers (and signed-in callers without the app role `ops`) get `{"status"}` only: '
        "which store, model endpoint, deployments and authentication the app uses is for operators. An `ops` "
        "caller gets `timestamp` and `checks` too (never a secret), with `Cache-Control: no-store`.",
    ),
)

LEGACY: tuple[Operation, ...] = (
    Operation(
        "compare_contracts",
        "POST",
        "/compare-contracts",
        "Legacy",
        "The seed's comparison: inline for 1-2 contracts, a background job from 3 or with `forceBatch`",
        (
            json_reply(200, LegacyComparisonAnswer, "Compared inline."),
            json_reply(202, LegacyBatchAccepted, "Became a background job.", links=JOB_LINKS),
        ),
        errors=(503,),
        body=LegacyCompareRequest,
        error_notes={
            422: "Invalid body, unknown contracts or clauses.",
            429: TOO_MANY_JOBS + " Only when it would become a background job.",
            503: START_FAILED,
        },
    ),
    Operation(
        "query_contracts",
        "POST",
        "/query_contracts",
        "Legacy",
        "The seed's query: inline, or a background job when forced or over QUERY_BATCH_TOKEN_THRESHOLD tokens",
        (
            json_reply(200, LegacyQueryAnswer, "Answered inline."),
            json_reply(202, LegacyQueryAccepted, "Became a background job.", links=JOB_LINKS),
        ),
        errors=(503,),
        body=LegacyQueryRequest,
        error_notes={
            422: "Invalid body or unknown contracts.",
            429: TOO_MANY_JOBS + " Only when it would become a background job.",
            503: START_FAILED,
        },
    ),
)
