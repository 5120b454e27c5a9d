"""The evaluation set of real agreements (tests/data/real/): loading, validation and section look-ups.

Shared by the data tests (tests/data_real/) and bench/real_contracts_bench.py. The files are described in
tests/data/real/README.md; the reference structure every label points into is tests/data_real/outline.py.

A clause reference ("ref") names a section of one file as a lawyer would: its title, prefixed by its parent's
title when it has one ("Private Repositories > Access"), and suffixed "#n" when the same reference occurs more
than once in the file ("Terms of Service #1" is the first). Titles are matched in `normalize_title` form, so
"E. **Private Repositories**" and "private repositories" are the same title.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tests.data_real.outline import Section, normalize_title, outline

DATA = Path(__file__).resolve().parents[1] / "data" / "real"
CONTRACTS = DATA / "contracts"

Split = Literal["tune", "held_out"]
SPLITS: tuple[Split, ...] = ("tune", "held_out")
Kind = Literal["modified", "missing", "added", "formatting_only", "reworded"]
# A comparison should flag these (status modified, missing or added) ...
CHANGED_KINDS: frozenset[str] = frozenset({"modified", "missing", "added"})
# ... and should not flag these; "reworded" (words changed, meaning did not) is not scored either way.
NOT_CHANGED_KINDS: frozenset[str] = frozenset({"formatting_only"})
Style = Literal["plain", "colloquial", "lawyerly", "two-part"]
STYLES: tuple[Style, ...] = ("plain", "colloquial", "lawyerly", "two-part")

_OCCURRENCE = re.compile(r"^(.*?)\s*#([0-9]+)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    file: str
    agreement: str
    title: str
    repository: str
    path: str
    commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    commit_date: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    commit_subject: str
    licence: str
    licence_url: str
    copyright: str


class ClauseLabel(_Strict):
    clause: str  # ref in the OLD file; for kind "added", in the NEW file
    kind: Kind
    note: str = Field(min_length=3)
    new_clause: str | None = None  # ref in the NEW file when the heading was renamed


class RevisionPair(_Strict):
    id: str
    agreement: str
    old: str  # file under contracts/
    new: str
    split: Split
    summary: str
    clauses: list[ClauseLabel]


class Question(_Strict):
    id: str
    contract: str  # file under contracts/
    style: Style
    text: str
    answers: list[list[str]]  # one list per part of the question, each of acceptable refs; empty: not addressed
    split: Split

    @property
    def not_addressed(self) -> bool:
        return not self.answers


class _Revisions(_Strict):
    pairs: list[RevisionPair]


class _Questions(_Strict):
    questions: list[Question]


class _Sources(_Strict):
    files: list[Source]


def load_pairs() -> list[RevisionPair]:
    return _Revisions.model_validate_json((DATA / "revisions.json").read_text(encoding="utf-8")).pairs


def load_questions() -> list[Question]:
    return _Questions.model_validate_json((DATA / "questions.json").read_text(encoding="utf-8")).questions


def load_sources() -> list[Source]:
    return _Sources.model_validate(json.loads((DATA / "sources.json").read_text(encoding="utf-8"))).files


@cache
def read(file: str) -> str:
    """A contract file's text, as stored (verbatim from its source)."""
    return (CONTRACTS / file).read_text(encoding="utf-8")


@cache
def sections(file: str) -> tuple[Section, ...]:
    return tuple(outline(read(file)))


def ref_of(section: Section) -> str:
    return f"{section.parent} > {section.title}" if section.parent else section.title


def _key(ref: str) -> tuple[str, ...]:
    return tuple(normalize_title(part) for part in ref.split(" > "))


def _section_key(section: Section) -> tuple[str, ...]:
    return _key(ref_of(section))


class UnknownClause(LookupError):
    def __init__(self, file: str, ref: str, found: int) -> None:
        what = "no section" if found == 0 else f"{found} sections (add '#n' to pick one)"
        super().__init__(f"{file}: clause {ref!r} matches {what}")


def resolve(file: str, ref: str) -> Section:
    """The one section of `file` that `ref` names; UnknownClause when none or several do."""
    occurrence = None
    if found := _OCCURRENCE.match(ref):
        ref, occurrence = found.group(1), int(found.group(2))
    wanted = _key(ref)
    matches = [s for s in sections(file) if _section_key(s) == wanted or _section_key(s)[-1:] == wanted]
    exact = [s for s in matches if _section_key(s) == wanted]
    matches = exact or matches
    if occurrence is not None:
        if not 1 <= occurrence <= len(matches):
            raise UnknownClause(file, f"{ref} #{occurrence}", len(matches))
        return matches[occurrence - 1]
    if len(matches) != 1:
        raise UnknownClause(file, ref, len(matches))
    return matches[0]


def counterparts(old: str, new: str) -> dict[int, int]:
    """Old section index -> new section index for sections with the same ref (n-th occurrence to n-th)."""
    by_key: dict[tuple[str, ...], list[Section]] = {}
    for s in sections(new):
        by_key.setdefault(_section_key(s), []).append(s)
    seen: dict[tuple[str, ...], int] = {}
    out = {}
    for s in sections(old):
        key = _section_key(s)
        n = seen.get(key, 0)
        seen[key] = n + 1
        candidates = by_key.get(key, [])
        if n < len(candidates):
            out[s.index] = candidates[n].index
    return out


def changed_sections(pair: RevisionPair) -> tuple[list[Section], list[Section]]:
    """(old sections whose own text changed or that have no counterpart, new sections with no counterpart),
    where labelled renames count as counterparts. Every one of them must carry a label."""
    old_text, new_text = read(pair.old), read(pair.new)
    mapping = counterparts(pair.old, pair.new)
    for label in pair.clauses:
        if label.new_clause is not None:
            mapping[resolve(pair.old, label.clause).index] = resolve(pair.new, label.new_clause).index
    old_changed = []
    for s in sections(pair.old):
        partner = mapping.get(s.index)
        if partner is None or s.own_text(old_text) != sections(pair.new)[partner].own_text(new_text):
            old_changed.append(s)
    matched_new = set(mapping.values())
    new_only = [s for s in sections(pair.new) if s.index not in matched_new]
    return old_changed, new_only


def label_section(pair: RevisionPair, label: ClauseLabel) -> Section:
    """The labelled section: in the new file for an added clause, in the old file otherwise."""
    return resolve(pair.new if label.kind == "added" else pair.old, label.clause)


def answer_sections(question: Question) -> list[list[Section]]:
    return [[resolve(question.contract, ref) for ref in part] for part in question.answers]


def files_referenced(pairs: Iterable[RevisionPair], questions: Iterable[Question]) -> set[str]:
    return {f for p in pairs for f in (p.old, p.new)} | {q.contract for q in questions}
