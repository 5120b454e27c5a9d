"""A run's summary: per document an overall score, per prompt the mean, the distribution and the pass rate, for
the batch the record counts, the answers reused from the answer cache, the model calls paid for and what they cost (an
economy run paid the Batch API's half price: the summary says what that saved). Every call the run was billed for
counts, whatever became of its record: a record that failed after its calls (a reply invalid twice, a refusal)
carries their usage, as one answered does."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from shared.analysis.token_usage import TokenUsage
from shared.batches.models import (
    BatchConfig,
    BatchSummary,
    PassFail,
    PromptSummary,
    RecordStatus,
    ResponseRecord,
    StagedDocument,
)
from shared.batches.request import RunMode
from shared.batches.scoring import describe, normalised, passed
from shared.llm.prices import Prices, run_cost


def summarize(
    config: BatchConfig,
    records: Iterable[ResponseRecord],
    documents: list[StagedDocument],
    run_job_id: str,
    *,
    mode: RunMode = "standard",
    prices: Prices | None = None,
) -> tuple[BatchSummary, list[StagedDocument]]:
    by_status: Counter[str] = Counter({s.value: 0 for s in RecordStatus})
    per_prompt: dict[int, list[ResponseRecord]] = defaultdict(list)
    per_document: dict[str, list[float]] = defaultdict(list)
    reused = calls = 0
    usage = TokenUsage()
    for record in records:
        by_status[record.status.value] += 1
        per_prompt[record.prompt_index].append(record)
        if record.run_job_id == run_job_id:
            reused += record.status is RecordStatus.S and record.reused
            if not record.reused:  # every call this run paid for it: answered, failed or retried
                calls += record.usage.llm_calls
                usage = usage + record.usage
        if record.status is RecordStatus.S and record.score is not None:
            scoring = config.prompts[record.prompt_index].scoring
            per_document[record.document_id].append(normalised(record.score, scoring))
    prompts = [_prompt_summary(config, index, per_prompt.get(index, [])) for index in range(len(config.prompts))]
    scores = [score for values in per_document.values() for score in values]
    cost, saved = run_cost(usage, prices, mode) if prices is not None else (None, None)
    summary = BatchSummary(
        records=sum(by_status.values()),
        by_status=dict(by_status),
        reused_answers=reused,
        model_calls=calls,
        usage=usage,
        mean_score=round(sum(scores) / len(scores), 4) if scores else None,
        prompts=prompts,
        mode=mode,
        estimated_cost=cost,
        cost_saved=saved,
        currency=prices.currency if prices is not None else None,
    )
    scored = [d.model_copy(update={"overall_score": _mean(per_document.get(d.document_id, []))}) for d in documents]
    return summary, scored


def _prompt_summary(config: BatchConfig, index: int, records: list[ResponseRecord]) -> PromptSummary:
    prompt = config.prompts[index]
    scoring = prompt.scoring
    answered = [r for r in records if r.status is RecordStatus.S and r.score is not None]
    distribution: Counter[str] = Counter()
    for record in answered:
        assert record.score is not None
        if isinstance(scoring, PassFail):
            distribution["pass" if record.score >= 1 else "fail"] += 1
        else:
            distribution[f"{record.score:g}"] += 1
    scores = [r.score for r in answered if r.score is not None]
    return PromptSummary(
        name=prompt.name,
        scoring=describe(scoring),
        answered=len(answered),
        failed=sum(1 for r in records if r.status is RecordStatus.F),
        mean=_mean(scores),
        pass_rate=_mean([1.0 if passed(s, scoring) else 0.0 for s in scores]),
        distribution=dict(sorted(distribution.items())),
    )


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None
