"""bench/query_tokens_bench.py runs end to end on a few questions (figures are not asserted), and its grading does
what its docstring says: an answer is sent when its reference section is sent whole."""

from __future__ import annotations

import pytest

from bench import query_tokens_bench as bench
from bench.real_contracts_bench import app_segments
from tests.data_real.realset import load_questions


def test_the_bench_runs_on_a_tiny_subset(capsys: pytest.CaptureFixture[str]) -> None:
    bench.main(["--split", "tune", "--questions", "q002,q046", "--no-samples"])
    out = capsys.readouterr().out
    for expected in ("real contracts, tune: 2 queries, 1 questions", "today", "ranked (ours)", "naive BM25", '"all"'):
        assert expected in out


def test_an_answer_is_sent_only_when_its_section_is_sent_whole() -> None:
    question = next(q for q in load_questions() if q.id == "q002")  # Private Repositories > Access, or the article
    segmented = app_segments(question.contract, "c")
    spans = [(s.start, s.end) for s in segmented.spans]
    titles = [c.title for c in segmented.contract.clauses]
    access = titles.index("Private Repositories > Access")
    article = titles.index("Private Repositories")
    assert bench._answer_sent(question, {access}, spans)
    assert bench._answer_sent(question, {article}, spans)  # the short version answers too
    assert not bench._answer_sent(question, set(range(len(titles))) - {access, article}, spans)
