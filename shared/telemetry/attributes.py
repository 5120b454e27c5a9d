"""The names telemetry records things under, and the one way a user appears in it: `user.hash`.

Model calls use the OpenTelemetry GenAI semantic conventions (`gen_ai.*`); jobs, steps and the scheduler use our own
names. No attribute ever holds a raw user id, a contract's or document's text, a prompt or an answer: only ids,
names, counts, durations and outcomes.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

# jobs and their steps
JOB_ID = "job.id"
JOB_TYPE = "job.type"
JOB_STATUS = "job.status"
JOB_STEP = "job.step"  # the ProcessingStep an activity works on
STEP_OUTCOME = "job.step.outcome"  # ok | skipped | wait | retry | error | raised
STEP_ERROR = "job.step.error"  # the error's code (llm_transient, not_found, ...), never its message
ACTIVITY = "durable.activity"  # the activity function (its Durable name)
USER_HASH = "user.hash"

# HTTP (OpenTelemetry semantic conventions)
HTTP_METHOD = "http.request.method"
HTTP_ROUTE = "http.route"
HTTP_STATUS = "http.response.status_code"
URL_PATH = "url.path"
ERROR_TYPE = "error.type"

# model calls (OpenTelemetry GenAI semantic conventions, plus our own llm.*)
GENAI_OPERATION = "gen_ai.operation.name"
GENAI_PROVIDER = "gen_ai.provider.name"
GENAI_SYSTEM = "gen_ai.system"  # the older name of gen_ai.provider.name, still read by some backends
GENAI_MODEL = "gen_ai.request.model"  # the model (openai) or deployment (azure_openai)
GENAI_MAX_TOKENS = "gen_ai.request.max_tokens"
GENAI_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GENAI_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GENAI_TOKEN_TYPE = "gen_ai.token.type"  # input | output (the token usage metric)
LLM_SELECTION = "llm.selection"  # primary | secondary
LLM_ATTEMPT = "llm.attempt"  # 1 for a call's first try; retries count up
LLM_OUTCOME = "llm.outcome"  # answered | throttled (a 429) | failed
LLM_QUEUE_WAIT = "llm.queue_wait_s"  # waited in the worker for the deployment's quota before the attempt
LLM_WAIT_KIND = "llm.wait"  # in_process | durable_timer (the scheduler's waits)
LLM_WAIT_S = "llm.wait_s"
LLM_QUEUE_AHEAD = "llm.queue_ahead"  # waiting calls ahead of a deferred one

# batches
RECORD_STATUS = "batch.record.status"  # QUEUED | S | F
BATCH_MODE = "batch.mode"  # standard | economy

GENAI_PROVIDERS = {"openai": "openai", "azure_openai": "azure.ai.openai"}
"""Our LLM_PROVIDER values as gen_ai.provider.name spells them."""

USER_HASH_CHARS = 16


@functools.lru_cache(maxsize=4096)
def user_hash(user_id: str, salt: str | None) -> str:
    """A stable, non-reversible stand-in for a user id: HMAC-SHA-256 keyed with TELEMETRY_USER_SALT (a plain SHA-256
    without one, which a dictionary of known ids could reverse: set the salt in Azure), cut to 16 hex digits. The
    same user has the same hash across spans, metrics and logs, so an operator can follow one user's jobs."""
    data = user_id.encode()
    digest = hmac.new(salt.encode(), data, hashlib.sha256) if salt else hashlib.sha256(data)
    return digest.hexdigest()[:USER_HASH_CHARS]


def error_code(exc: BaseException) -> str:
    """What telemetry says of a failure: the domain error's code, else the exception's type (never its message,
    which may quote a model's answer or a document)."""
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) and code else type(exc).__name__
