"""bench/real_contracts_bench.py runs end to end on a few pairs and questions (figures are not asserted), and its
scoring does what its docstring says."""

from __future__ import annotations

import pytest

from bench import real_contracts_bench as bench
from shared.comparison.models import ClauseFinding
from shared.query.models import Citation, PerContractAnswer
from tests.data_real.realset import load_pairs, load_questions, resolve


def test_the_bench_runs_on_a_tiny_subset(capsys: pytest.CaptureFixture[str]) -> None:
    bench.main(["--pairs", "commonpaper-dpa-2025-05,basecamp-terms-2020-04-08", "--questions", "q001,q008,q063"])
    out = capsys.readouterr().out
    for expected in ("tune:", "held_out:", "all:", "precision", "recall", "top-1", "top-3", "naive"):
        assert expected in out


def test_a_formatting_only_clause_flagged_is_a_false_positive_and_a_changed_one_a_hit() -> None:
    pair = next(p for p in load_pairs() if p.id == "basecamp-terms-2020-04-08")
    old, new = bench.app_segments(pair.old, "old"), bench.app_segments(pair.new, "new")
    everything = [ClauseFinding(title=c.title, status="modified", explanation="") for c in old.contract.clauses]
    score = bench.score_pair(pair, everything, old, new)
    assert score.hits == 1 and score.misses == 0
    assert any("Payment, Refunds, Upgrading, and Downgrading (formatting_only)" in f for f in score.false_alarms)
    nothing = [ClauseFinding(title=c.title, status="matched", explanation="") for c in old.contract.clauses]
    quiet = bench.score_pair(pair, nothing, old, new)
    assert (quiet.hits, quiet.misses, quiet.false_positives) == (0, 1, 0)


def test_a_finding_under_a_title_the_analyzer_was_not_given_maps_by_normalised_title() -> None:
    pair = next(p for p in load_pairs() if p.id == "github-tos-2025-09")
    old, new = bench.app_segments(pair.old, "old"), bench.app_segments(pair.new, "new")
    findings = [ClauseFinding(title="R.1 **GOVERNING LAW**", status="modified", explanation="")]
    assert bench.score_pair(pair, findings, old, new).hits == 1


def test_query_grading_top1_top3_and_not_addressed() -> None:
    questions = {q.id: q for q in load_questions()}
    question = questions["q002"]  # private repositories: Access (or the article's short version)
    access = resolve(question.contract, "Private Repositories > Access")
    other = resolve(question.contract, "Miscellaneous > Governing Law")
    per = PerContractAnswer(
        contract_id="x",
        contract_title="x",
        answer="",
        citations=[Citation(contract_id="x", clause_title="t", quote="q")],
    )
    assert bench.grade(question, per, [access]).top1
    second = bench.grade(question, per, [other, access])
    assert not second.top1 and second.top3
    unaddressed = questions["q008"]
    silent = PerContractAnswer(contract_id="x", contract_title="x", answer="No clause.", relevant=False)
    assert bench.grade(unaddressed, silent, []).top1
    assert not bench.grade(unaddressed, per, [other]).top1


def test_a_citation_maps_to_the_section_holding_its_quote() -> None:
    question = next(q for q in load_questions() if q.id == "q002")
    segmented = bench.app_segments(question.contract, "c")
    quote = "GitHub personnel may only access"
    holder = next(c.title for c in segmented.contract.clauses if quote in c.text)
    cited = bench.cited_sections(
        question.contract, segmented, [Citation(contract_id="c", clause_title=holder, quote=quote)]
    )
    assert [s.title for s in cited] == ["Access"]
    elsewhere = Citation(contract_id="c", clause_title=holder, quote="words that are not in the clause")
    assert len(bench.cited_sections(question.contract, segmented, [elsewhere])) == 1  # the largest overlap
