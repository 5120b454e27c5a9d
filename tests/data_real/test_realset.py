"""The real-contracts evaluation set loads and is consistent: files, sources, labels, questions and splits.

Titles are checked against the reference outline (tests/data_real/outline.py), not the app's segmentation: the
labels describe the documents as a lawyer reads them.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.data_real.outline import outline
from tests.data_real.realset import (
    CONTRACTS,
    SPLITS,
    STYLES,
    RevisionPair,
    UnknownClause,
    answer_sections,
    changed_sections,
    files_referenced,
    label_section,
    load_pairs,
    load_questions,
    load_sources,
    ref_of,
    resolve,
)

PAIRS = load_pairs()
QUESTIONS = load_questions()


def test_the_set_is_large_enough_and_split_in_two() -> None:
    assert len(PAIRS) >= 10
    assert len(QUESTIONS) >= 60
    assert {p.split for p in PAIRS} == set(SPLITS)
    assert {q.split for q in QUESTIONS} == set(SPLITS)
    for split in SPLITS:
        share = sum(q.split == split for q in QUESTIONS) / len(QUESTIONS)
        assert 0.4 <= share <= 0.6, f"{split}: {share:.0%} of the questions"
    assert {q.style for q in QUESTIONS} == set(STYLES)
    not_addressed = sum(q.not_addressed for q in QUESTIONS) / len(QUESTIONS)
    assert 0.05 <= not_addressed <= 0.2


def test_ids_are_unique() -> None:
    assert len({p.id for p in PAIRS}) == len(PAIRS)
    assert len({q.id for q in QUESTIONS}) == len(QUESTIONS)


def test_every_file_exists_and_has_its_source_recorded() -> None:
    sources = {s.file: s for s in load_sources()}
    stored = {str(p.relative_to(CONTRACTS)) for p in CONTRACTS.rglob("*.md")}
    assert stored == set(sources), "every stored file has a source record and every record a file"
    assert files_referenced(PAIRS, QUESTIONS) <= stored
    for file, source in sources.items():
        assert source.commit[:7] in file and source.commit_date in file, file
        assert source.licence in {"CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0"}
        assert source.licence_url.startswith("https://creativecommons.org/")
        assert file.split("/")[0] == source.agreement


def test_the_mutual_nda_is_not_used() -> None:
    assert not any("mutual" in s.title.lower() or "nda" in s.agreement for s in load_sources())


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_every_labelled_clause_is_a_heading_of_its_file(pair: RevisionPair) -> None:
    for label in pair.clauses:
        label_section(pair, label)  # raises UnknownClause
        if label.new_clause is not None:
            resolve(pair.new, label.new_clause)
    assert pair.old != pair.new and pair.old.split("/")[0] == pair.new.split("/")[0] == pair.agreement


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_every_changed_section_is_labelled_and_every_label_changed(pair: RevisionPair) -> None:
    old_changed, new_only = changed_sections(pair)
    labelled_old = {label_section(pair, lb).index for lb in pair.clauses if lb.kind != "added"}
    labelled_new = {label_section(pair, lb).index for lb in pair.clauses if lb.kind == "added"}
    labelled_new |= {resolve(pair.new, lb.new_clause).index for lb in pair.clauses if lb.new_clause}
    assert {ref_of(s) for s in old_changed if s.index not in labelled_old} == set(), "changed but unlabelled"
    assert {ref_of(s) for s in new_only if s.index not in labelled_new} == set(), "new but unlabelled"
    assert labelled_old <= {s.index for s in old_changed}, "labelled but identical in both revisions"
    missing = {label_section(pair, lb).index for lb in pair.clauses if lb.kind == "missing"}
    assert missing <= {s.index for s in old_changed}


def test_labels_include_every_kind_and_some_meaningful_change_per_source() -> None:
    kinds = Counter(lb.kind for p in PAIRS for lb in p.clauses)
    assert {"modified", "missing", "added", "formatting_only"} <= set(kinds)
    for split in SPLITS:
        assert any(lb.kind in {"modified", "missing", "added"} for p in PAIRS if p.split == split for lb in p.clauses)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_every_expected_clause_exists_in_its_contract(question) -> None:  # type: ignore[no-untyped-def]
    parts = answer_sections(question)
    assert len(parts) == len(question.answers)
    if question.style == "two-part" and not question.not_addressed:
        assert len(parts) == 2


def test_an_unknown_or_ambiguous_clause_is_refused() -> None:
    pair = PAIRS[0]
    with pytest.raises(UnknownClause):
        resolve(pair.old, "Clause That Is Not There")
    wordpress = next(q.contract for q in QUESTIONS if q.contract.startswith("wordpress-tos/"))
    with pytest.raises(UnknownClause, match="#n"):
        resolve(wordpress, "Terms of Service")  # the title and the introduction share a heading
    assert resolve(wordpress, "Terms of Service #2").index > resolve(wordpress, "Terms of Service #1").index


def test_the_outline_reads_the_heading_forms_of_these_sources() -> None:
    text = (
        "---\ntitle: x\n---\nIntro.\n\n## B. Account Terms\nShort.\n\n### 1. Account Controls\nText.\n\n"
        "1\\. Who's Who\n-------------\n\nBody.\n\n"
        '2. <span class="header_2" id="2">Restrictions & Obligations</span>\n'
        '    1. <span class="header_3" id="2.1">Restrictions on Customer.</span>  Customer will not.\n'
        "**Refunds.** A run-in title is part of its section.\n"
    )
    found = [(s.title, s.parent) for s in outline(text)]
    assert found == [
        ("Preamble", None),
        ("Account Terms", None),
        ("Account Controls", "Account Terms"),
        ("Who's Who", None),
        ("Restrictions & Obligations", None),
        ("Restrictions on Customer", "Restrictions & Obligations"),
    ]
    sections = outline(text)
    assert sections[-1].own_text(text).endswith("part of its section.")
