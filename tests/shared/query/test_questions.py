"""The offline answerer on questions as lawyers phrase them (tests/shared/query/questions.py).

Every question of the set is asked over its contracts (the sample NDAs, MSAs, lease and employment agreement, and
the shared Common Paper standard NDA); at least 90 % of the (question, contract) answers must cite the right clause,
or say "not addressed" where no clause addresses it.
"""

from __future__ import annotations

import re

from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.query.models import PartAnswer, QueryCombineTask, QueryPartTask
from tests.shared.query.questions import HELD_OUT, QUESTIONS, UNSEEN, evaluate, load_contracts, share_right

TARGET = 0.9
ALL_QUESTIONS = QUESTIONS + HELD_OUT + UNSEEN


def ask(analyzer: OfflineAnalyzer, task: QueryPartTask) -> PartAnswer:
    reply = analyzer.answer_part(task)
    assert reply.usage.llm_calls == 0
    return reply.output


def test_question_set_is_answered_with_the_right_clause(analyzer: OfflineAnalyzer) -> None:
    outcomes = evaluate(lambda task: ask(analyzer, task), ALL_QUESTIONS)
    share = share_right(outcomes)
    misses = "\n".join(o.describe() for o in outcomes if not o.right)
    assert len(ALL_QUESTIONS) >= 30
    assert share >= TARGET, f"{share:.1%} of {len(outcomes)} answers right; misses:\n{misses}"


_END = ".;:!?"
_CLOSERS = "*\u201d\"')_>]\u2019"
_ITEM = re.compile(r"^(?:[-*+•]|\d{1,2}[.)]|[a-z][.)]|\((?:[a-z]{1,4}|\d{1,2})\))\s")
_HEADING = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|\([a-z]+\))?\s*(?:\*\*[^*]+\*\*\.?|[A-Z][\w' ,&-]*\.)\s+$")


def whole(clause: str, quote: str) -> bool:
    """Does `quote` begin where a sentence, list item or line begins (or just after a heading) and end where one
    ends, never inside one?"""
    at = clause.index(quote)
    before, after = clause[:at], clause[at + len(quote) :]
    line = before.rsplit("\n", 1)[-1]
    starts = (
        not line.strip()
        or before.rstrip().rstrip(_CLOSERS)[-1:] in _END
        or bool(_ITEM.match(quote))
        or bool(_HEADING.match(line))
    )
    ends = not after.strip() or after[:1] == "\n" or (after[:1].isspace() and quote.rstrip(_CLOSERS)[-1:] in _END)
    return starts and ends


def test_every_quote_of_the_question_set_is_verbatim_and_whole(analyzer: OfflineAnalyzer) -> None:
    contracts = load_contracts()
    texts = {(c.contract_id, k.title): k.text for c in contracts.values() for k in c.clauses}
    for question in ALL_QUESTIONS:
        scope = [contracts[c] for c in question.expect]
        answer = ask(analyzer, QueryPartTask(question=question.text, part_index=0, contracts=scope))
        cited = answer.citations + [c for per in answer.per_contract for c in per.citations]
        for citation in cited:
            clause = texts[(citation.contract_id, citation.clause_title)]
            assert citation.quote and citation.quote in clause, (question.text, citation)
            # Whole sentences or list items: never stopped (or started) mid-sentence by a character budget.
            assert whole(clause, citation.quote), (question.text, citation)
        # The answers state whole sentences too: nothing is cut short with an ellipsis.
        assert "…" not in answer.answer + "".join(per.answer for per in answer.per_contract), question.text


def test_plain_questions_of_the_issue_find_their_clauses(analyzer: OfflineAnalyzer) -> None:
    contracts = load_contracts()
    ndas = [contracts[c] for c in ("nda", "nda_a", "nda_b")]
    notice = ask(
        analyzer,
        QueryPartTask(question="What notice period applies to ending the agreement?", part_index=0, contracts=ndas),
    )
    assert notice.answer.startswith("3 of 3 contracts")
    assert all("thirty (30) days' written notice" in p.citations[0].quote for p in notice.per_contract)
    poaching = ask(
        analyzer, QueryPartTask(question="Is there a clause about poaching staff?", part_index=0, contracts=ndas)
    )
    relevant = {p.contract_id: p for p in poaching.per_contract if p.relevant}
    assert list(relevant) == ["nda_a"]
    assert relevant["nda_a"].citations[0].clause_title == "Non-Solicitation"


def test_two_part_question_quotes_both_parts(analyzer: OfflineAnalyzer) -> None:
    contracts = load_contracts()
    question = "Which law applies and where are disputes heard?"
    answer = ask(analyzer, QueryPartTask(question=question, part_index=0, contracts=[contracts["common_paper"]]))
    (per,) = answer.per_contract
    quoted = " ".join(c.quote for c in per.citations)
    assert per.citations[0].clause_title == "Governing Law and Jurisdiction"
    # the law and the courts are two sentences of the clause: both are quoted
    assert "construed in accordance with, the laws of" in quoted and "courts located in Jurisdiction" in quoted
    assert "courts located in Jurisdiction" in per.answer


def test_a_contracts_answer_does_not_depend_on_the_others_in_its_part(analyzer: OfflineAnalyzer) -> None:
    contracts = load_contracts()
    question = "How long do the confidentiality obligations last after the agreement ends?"
    together = ask(analyzer, QueryPartTask(question=question, part_index=0, contracts=list(contracts.values())))
    for per in together.per_contract:
        alone = ask(analyzer, QueryPartTask(question=question, part_index=0, contracts=[contracts[per.contract_id]]))
        assert alone.per_contract == [per]


def test_split_query_combines_to_the_same_answer(analyzer: OfflineAnalyzer) -> None:
    contracts = load_contracts()
    question = "Is there a clause about poaching staff?"
    scope = [contracts[c] for c in ("nda", "nda_a", "msa_a", "employment")]
    whole = ask(analyzer, QueryPartTask(question=question, part_index=0, contracts=scope))
    parts = [
        ask(analyzer, QueryPartTask(question=question, part_index=0, contracts=scope[:2])),
        ask(analyzer, QueryPartTask(question=question, part_index=1, contracts=scope[2:])),
    ]
    combined = analyzer.combine(QueryCombineTask(question=question, parts=parts)).output
    assert combined.answer.startswith("3 of 4 contracts") and whole.answer.startswith("3 of 4 contracts")
    assert {c.contract_id for c in combined.citations} == {"nda_a", "msa_a", "employment"}
    assert sorted(c.model_dump_json() for c in combined.citations) == sorted(
        c.model_dump_json() for c in whole.citations
    )
