"""The hybrid ranking every answerer can use: one contract's clauses for a question, best first."""

from __future__ import annotations

from shared.analysis.ranking import rank_clauses
from shared.contracts.analysis import ClauseText

CLAUSES = [
    ClauseText(
        title="Definitions",
        text="“Suspension” means a temporary block of access. “Fees” means the amounts due under an Order Form.",
    ),
    ClauseText(title="Fees", text="Customer will pay all Fees within thirty (30) days of the invoice date."),
    ClauseText(
        title="Restrictions > Suspension",
        text="If Customer has an outstanding balance for more than 30 days, Provider may temporarily suspend "
        "Customer's access to the Product.",
    ),
    ClauseText(title="Governing Law", text="The laws of the State of Delaware govern this Agreement."),
    ClauseText(title="Notices", text="Notices must be in writing and sent by email."),
]


def test_every_clause_once_best_first() -> None:
    ranked = rank_clauses(CLAUSES, "Which state's law governs the agreement?")
    assert sorted(r.index for r in ranked) == list(range(len(CLAUSES)))
    assert ranked[0].index == 3
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert all(0.0 <= r.coverage <= 1.0 and 0.0 <= r.lexical <= 1.0 and 0.0 <= r.semantic <= 1.0 for r in ranked)


def test_everyday_words_find_the_clause_that_says_it_otherwise() -> None:
    ranked = rank_clauses(CLAUSES, "Can they lock us out if we're late paying?")
    assert CLAUSES[ranked[0].index].title == "Restrictions > Suspension"


def test_definitions_mention_everything_but_answer_only_what_something_means() -> None:
    ranked = rank_clauses(CLAUSES, "When can the provider suspend access?")
    assert ranked[0].index == 2 and ranked[0].framing is False
    definitions = next(r for r in ranked if r.index == 0)
    assert definitions.framing and definitions.score < ranked[0].score
    asked = rank_clauses(CLAUSES, "What does Suspension mean?")
    assert asked[0].index == 0


def test_a_two_part_question_gives_each_parts_best_in_turn() -> None:
    ranked = rank_clauses(CLAUSES, "What is the governing law, and when are invoices due?")
    assert [(r.index, r.part) for r in ranked[:2]] == [(3, 0), (1, 1)]


def test_markup_does_not_change_the_ranking() -> None:
    marked = [
        ClauseText(title=c.title, text=f'<span class="clause" id="{i}">{c.text}</span> **[see](#top)**')
        for i, c in enumerate(CLAUSES)
    ]
    question = "How long do we have to pay an invoice?"
    plain, html = rank_clauses(CLAUSES, question), rank_clauses(marked, question)
    assert [r.index for r in plain] == [r.index for r in html]
    assert plain[0].index == 1


def test_no_clauses_no_ranking() -> None:
    assert rank_clauses([], "What is the governing law?") == []


def test_clause_vectors_are_cached_by_digest_within_a_bound() -> None:
    from shared.analysis.ranking import _VectorCache

    cache = _VectorCache(2)
    first = cache.vectors(["fees are due monthly", "notices by email"])
    again = cache.vectors(["fees are due monthly", "the law of Delaware"])
    assert (first[0] == again[0]).all()
    assert len(cache._vectors) == 2 and all(isinstance(k, bytes) and len(k) == 16 for k in cache._vectors)
