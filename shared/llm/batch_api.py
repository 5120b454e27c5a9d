"""The (Azure) OpenAI Batch API through the `openai` SDK, as economy runs use it: upload a JSONL request file
(`files.create(purpose="batch")`), create a batch over it (`batches.create(completion_window="24h")`), read its
status and counts, read its output and error files line by line, cancel it.

Failures end as our LLM errors: LLMTransientError (408/409/429/5xx, timeouts, a file still being processed: the
activity's durable retry may succeed) or LLMPermanentError (other 4xx: retrying cannot help). Idempotent reads
are retried in-process like model calls; creating a batch is not (a retry could pay twice): the caller looks for
the batch of its input file first (`find`).

OpenAI and Azure differ in two places: the endpoint named in the batch and in each line ("/v1/chat/completions"
vs "/chat/completions"), and the model named in each line's body (Azure: a Global-Batch deployment's name).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any, Literal, TypeVar, cast

import openai

from shared.jobs.models import ModelSelection
from shared.llm.client import LLMClient
from shared.llm.config import model_for
from shared.llm.errors import LLMError, LLMNotConfigured, LLMPermanentError, LLMTransientError
from shared.llm.retry import BackoffPolicy, is_retryable_status, server_retry_after
from shared.settings import Settings, get_settings
from shared.singletons import ProcessSingleton

T = TypeVar("T")

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
"""Statuses after which a remote batch changes no more: its output and error files are final."""

COMPLETION_WINDOW: Literal["24h"] = "24h"
FILE_TIMEOUT_SECONDS = 600.0  # uploading or downloading a file of up to a few hundred MB
FILE_READY_SECONDS = 60.0  # how long an upload waits in-process for Azure to process its file
FIND_LIMIT = 1_000  # batches listed, newest first, when looking for the batch of an input file


@dataclass(frozen=True)
class RemoteStatus:
    """A remote batch as the Batch API reports it."""

    remote_id: str
    input_file_id: str
    status: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: str | None = None  # why the batch as a whole failed (validation), joined
    created_at: int = 0

    @property
    def done(self) -> bool:
        return self.status in TERMINAL


class BatchAPI:
    """The Batch API of the process's LLM client; create once per process (get_batch_api) and share it."""

    def __init__(
        self,
        client: LLMClient,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        backoff: BackoffPolicy | None = None,
    ) -> None:
        self._client = client
        self._sdk = client.sdk
        self._settings = settings
        self._sleep = sleep
        self._backoff = backoff or BackoffPolicy()
        self.azure = settings.llm_provider == "azure_openai"

    # --- what the lines say ----------------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return "/chat/completions" if self.azure else "/v1/chat/completions"

    def model_name(self, selection: ModelSelection) -> str:
        """The standard model (deployment) name: what the answer cache keys answers by, in either mode."""
        return self._client.model_name(selection)

    def line_model(self, selection: ModelSelection) -> str:
        """The model each line names: in Azure the Global-Batch deployment (AZURE_OPENAI_BATCH_DEPLOYMENT_*),
        which serves the same model as the standard one; else the standard model."""
        if self.azure:
            settings = self._settings
            batch = settings.azure_openai_batch_deployment_primary
            if selection == "secondary":
                batch = settings.azure_openai_batch_deployment_secondary or batch
            return batch or model_for(settings, selection)
        return model_for(self._settings, selection)

    def context_tokens(self, selection: ModelSelection) -> int:
        return self._client.context_tokens(selection)

    # --- calls -----------------------------------------------------------------------------------------------

    def upload(self, filename: str, content: IO[bytes]) -> str:
        """Upload a JSONL request file; returns its id once the service can take a batch over it."""

        def send() -> Any:
            content.seek(0)
            return self._sdk.files.create(
                file=(filename, content, "application/jsonl"), purpose="batch", timeout=FILE_TIMEOUT_SECONDS
            )

        uploaded = self._retrying("upload the request file", send)
        self._wait_until_processed(uploaded.id, uploaded.status, getattr(uploaded, "status_details", None))
        return str(uploaded.id)

    def create(self, input_file_id: str) -> RemoteStatus:
        """One attempt: a timeout may have created the batch anyway, so the caller looks for it (find) first."""
        try:
            created = self._sdk.batches.create(
                input_file_id=input_file_id, endpoint=cast(Any, self.endpoint), completion_window=COMPLETION_WINDOW
            )
        except (openai.APIStatusError, openai.APIConnectionError) as exc:
            raise _failure("create a batch", exc) from exc
        return _status(created)

    def find(self, input_file_id: str) -> RemoteStatus | None:
        """The batch created over `input_file_id`, if any (by a call whose answer was lost)."""

        def search() -> RemoteStatus | None:
            for seen, batch in enumerate(self._sdk.batches.list(limit=100)):
                if batch.input_file_id == input_file_id:
                    return _status(batch)
                if seen + 1 >= FIND_LIMIT:
                    break
            return None

        return self._retrying("list batches", search)

    def retrieve(self, remote_id: str) -> RemoteStatus:
        return self._retrying(f"read batch {remote_id}", lambda: _status(self._sdk.batches.retrieve(remote_id)))

    def cancel(self, remote_id: str) -> RemoteStatus:
        """Ask the service to stop; a batch that has already stopped is left as it is (the service refuses to
        cancel it: 400/409, not an error for us)."""
        try:
            return _status(self._sdk.batches.cancel(remote_id))
        except (openai.APIStatusError, openai.APIConnectionError) as exc:
            failure = _failure(f"cancel batch {remote_id}", exc)
        current = self.retrieve(remote_id)
        if current.done or current.status == "cancelling":
            return current
        raise failure

    def lines(self, file_id: str) -> Iterator[dict[str, Any]]:
        """The JSON objects of an output or error file, streamed (a file may hold thousands of answers)."""
        try:
            with self._sdk.files.with_streaming_response.content(file_id, timeout=FILE_TIMEOUT_SECONDS) as reply:
                for text in reply.iter_lines():
                    if text.strip():
                        try:
                            value = json.loads(text)
                        except ValueError:
                            continue  # not a line we can match to a record: that record counts as unanswered
                        if isinstance(value, dict):
                            yield value
        except (openai.APIStatusError, openai.APIConnectionError) as exc:
            raise _failure(f"read file {file_id}", exc) from exc

    # --- helpers ---------------------------------------------------------------------------------------------

    def _wait_until_processed(self, file_id: str, status: str, details: str | None) -> None:
        """Azure validates an uploaded file before a batch may use it ("pending" → "processed")."""
        deadline = time.monotonic() + FILE_READY_SECONDS
        while True:
            if status == "error":
                raise LLMPermanentError(
                    f"Batch API rejected the request file {file_id}: {details or 'no reason given'}",
                    details={"file_id": file_id},
                )
            if not self.azure or status == "processed":
                return
            if time.monotonic() > deadline:
                raise LLMTransientError(
                    f"Batch API is still processing the request file {file_id} (status {status})",
                    details={"file_id": file_id, "retry_after_ms": 30_000},
                )
            self._sleep(2.0)
            current = self._retrying(f"read file {file_id}", lambda: self._sdk.files.retrieve(file_id))
            status, details = current.status, getattr(current, "status_details", None)

    def _retrying(self, what: str, call: Callable[[], T]) -> T:
        attempts = self._settings.llm_max_retries + 1
        for attempt in range(attempts):
            try:
                return call()
            except (openai.APIStatusError, openai.APIConnectionError) as exc:
                failure = _failure(what, exc)
                if not failure.retryable or attempt + 1 == attempts:
                    raise failure from exc
                headers = exc.response.headers if isinstance(exc, openai.APIStatusError) else None
                self._sleep(self._backoff.delay(attempt, headers, random.random))
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _status(batch: Any) -> RemoteStatus:
    counts = batch.request_counts
    errors = None
    if batch.errors is not None and batch.errors.data:
        errors = "; ".join(
            f"{e.code or 'error'}: {e.message or ''}" + (f" (line {e.line})" if e.line else "")
            for e in batch.errors.data[:5]
        )
    return RemoteStatus(
        remote_id=batch.id,
        input_file_id=batch.input_file_id,
        status=batch.status,
        total=counts.total if counts else 0,
        completed=counts.completed if counts else 0,
        failed=counts.failed if counts else 0,
        output_file_id=batch.output_file_id,
        error_file_id=batch.error_file_id,
        errors=errors,
        created_at=batch.created_at or 0,
    )


def _failure(what: str, exc: openai.APIStatusError | openai.APIConnectionError) -> LLMError:
    if isinstance(exc, openai.APIConnectionError):
        return LLMTransientError(f"Batch API unreachable: could not {what}: {type(exc).__name__}: {exc.message}")
    message = _message(exc)
    details: dict[str, Any] = {"status": exc.status_code, "operation": what}
    if is_retryable_status(exc.status_code):
        hinted = server_retry_after(exc.response.headers)
        details["retry_after_ms"] = None if hinted is None else int(hinted * 1000)
        return LLMTransientError(f"Batch API unavailable: could not {what}: HTTP {exc.status_code}: {message}", details)
    return LLMPermanentError(f"Batch API refused to {what}: HTTP {exc.status_code}: {message}", details)


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        return str(body["message"])
    return exc.message


_api = ProcessSingleton(lambda: _build(get_settings()))


def get_batch_api() -> BatchAPI:
    """The process's Batch API, over the process's LLM client. LLMNotConfigured for LLM_PROVIDER=offline."""
    return _api.get()


def reset_batch_api() -> None:
    _api.reset()


def _build(settings: Settings) -> BatchAPI:
    from shared.analysis.factory import get_analyzer  # the analyzer owns the process's one LLM client
    from shared.llm.analyzer import LLMAnalyzer

    analyzer = get_analyzer()
    if not isinstance(analyzer, LLMAnalyzer):
        raise LLMNotConfigured(
            f"the Batch API needs LLM_PROVIDER openai or azure_openai, not {settings.llm_provider!r}",
            details={"provider": settings.llm_provider},
        )
    return BatchAPI(analyzer.client, settings)
