"""The offline analyzer on real, lawyer-written agreements and their real revisions (tests/data/real/).

Each file is segmented as the app segments an upload (`segment_top_level`, what a comparison aligns and a query
ranks), then:

Comparison — for every labelled revision pair, the old revision is the standard and the new one the compared
contract (`OfflineAnalyzer.compare`). Scored per reference section (tests/data_real/outline.py: every headed
section as a lawyer reads the document):
- A finding with status modified, missing or added *flags* the reference sections its clause covers: its title
  is looked up among the clauses the analyzer was given (the old file's for modified/missing, the new file's for
  added; a repeated title is taken in order), and every reference section whose body (the text after its
  heading line) shares a non-blank character with that clause's span is flagged. A title not among those clauses
  (an analyzer that renames) falls back to the reference section with the same title in `normalize_title` form
  (case, numbering, markup, links and punctuation dropped), its parent's title optional.
- A section of the new file flagged through an added finding counts for its counterpart in the old file when it
  has one (same reference, or a labelled rename); an `added` label is also found when a modified finding flags
  the old counterpart of its parent section (the coarse clause that now contains it).
- Positives are the labels modified, missing and added; a flagged positive is a hit, an unflagged one a miss.
  Any other flagged section (labelled formatting_only, or unchanged) is a false positive; `reworded` labels
  (words changed, meaning did not) count neither way. Precision = hits / (hits + false positives), recall =
  hits / positives, summed over the pairs of a split.

Query — every question is asked of its one contract, as one query part (`OfflineAnalyzer.answer_part`). The
contract's citations, in order, are mapped to reference sections: the cited clause's span (by title, first
match), then the section containing the quote's first occurrence in that span (whitespace-insensitive), else the
section sharing most characters with the span; repeated sections keep their first place.
- A question with an answer is right at top-k when the answer is marked relevant and (top-1) the first cited
  section is one of the acceptable sections of any part, or (top-3) every part has an acceptable section among
  the first three cited sections. A one-part question at top-3 is right when an acceptable section is among the
  first three.
- A "not addressed" question is right (at both k) when nothing is cited or the answer is marked not relevant.

Baselines in the same run, on the same segmentation:
- naive comparison: clauses paired by identical title (case-insensitive); difflib ratio < 1.0 on the texts =>
  modified; unpaired old clauses missing, unpaired new ones added;
- naive query: BM25 (bm25s) over the question's stemmed words, the top three clauses with a positive score
  cited in order (as bench/query_answer_bench.py's baseline, with three citations instead of one).
With --reference-sections the offline analyzer also runs on the reference sections themselves as clauses: what
it would do with the document's real structure (a ceiling for segmentation work, not the app's figure). With
--without-semantic it also runs with the WordLlama similarity switched off (query ranking and clause alignment on
words alone): what the semantic model buys.

The held-out split must not be looked at while tuning (tests/data/real/README.md); its figures are printed so
they can be reported, --verbose lists misses and false positives per split, and --split limits the run.
Prints figures, asserts nothing. Run: python -m bench.real_contracts_bench [--verbose] [--split tune]
"""

from __future__ import annotations

import argparse
import difflib
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from bench.naive_bm25 import bm25_top
from shared.analysis import ranking
from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.comparison.models import ClauseFinding, ClauseStatus, ComparisonTask
from shared.comparison.offline import alignment
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.query.models import Citation, PartAnswer, PerContractAnswer, QueryPartTask
from shared.text.segmentation import segment_top_level
from tests.data_real.outline import Section, normalize_title
from tests.data_real.realset import (
    CHANGED_KINDS,
    SPLITS,
    Question,
    RevisionPair,
    counterparts,
    label_section,
    load_pairs,
    load_questions,
    read,
    ref_of,
    resolve,
    sections,
)

FLAGGING = frozenset({"modified", "missing", "added"})
TOP_K = 3


@dataclass(frozen=True)
class Span:
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Segmented:
    """A file as the analyzer sees it: clauses, and where each clause sits in the file's text."""

    contract: ContractForAnalysis
    spans: list[Span]


Segmenter = Callable[[str, str], Segmented]


def app_segments(file: str, contract_id: str) -> Segmented:
    clauses = segment_top_level(read(file))
    return Segmented(
        ContractForAnalysis(
            contract_id=contract_id,
            title=contract_id,
            clauses=[ClauseText(title=c.title, number=c.number, text=c.text) for c in clauses],
        ),
        [Span(c.title, c.start, c.end) for c in clauses],
    )


def reference_segments(file: str, contract_id: str) -> Segmented:
    text = read(file)
    found = sections(file)
    return Segmented(
        ContractForAnalysis(
            contract_id=contract_id,
            title=contract_id,
            clauses=[ClauseText(title=s.title, number=s.number, text=s.own_text(text)) for s in found],
        ),
        [Span(s.title, s.start, s.end) for s in found],
    )


# --- mapping the analyzer's clauses to reference sections ------------------------------------------------------


def _blank_free_overlap(text: str, a: tuple[int, int], b: tuple[int, int]) -> int:
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return sum(not ch.isspace() for ch in text[lo:hi]) if hi > lo else 0


def covered(file: str, span: tuple[int, int]) -> list[Section]:
    """Reference sections whose body shares a non-blank character with `span` (a heading-only section: its
    heading)."""
    text = read(file)
    out = []
    for s in sections(file):
        body = (
            (s.body_start, s.end) if s.end > s.body_start and text[s.body_start : s.end].strip() else (s.start, s.end)
        )
        if _blank_free_overlap(text, body, span):
            out.append(s)
    return out


class SpanFinder:
    """Clause title -> span in one segmented file, repeated titles handed out in order."""

    def __init__(self, segmented: Segmented) -> None:
        self._spans = segmented.spans
        self._used: dict[str, int] = {}

    def take(self, title: str) -> Span | None:
        matches = [s for s in self._spans if s.title == title]
        n = self._used.get(title, 0)
        self._used[title] = n + 1
        if matches:
            return matches[min(n, len(matches) - 1)]
        return None


def by_title(file: str, title: str) -> list[Section]:
    """Fallback for a finding whose title is not one of the clauses given: the reference section(s) with that
    title in normalize_title form, a leading parent optional."""
    wanted = normalize_title(title)
    return [s for s in sections(file) if normalize_title(s.title) == wanted or normalize_title(ref_of(s)) == wanted]


# --- comparison --------------------------------------------------------------------------------------------------


@dataclass
class CompareScore:
    hits: int = 0
    misses: int = 0
    false_positives: int = 0
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)

    def add(self, other: CompareScore) -> None:
        self.hits += other.hits
        self.misses += other.misses
        self.false_positives += other.false_positives
        self.missed += other.missed
        self.false_alarms += other.false_alarms
        self.unmapped += other.unmapped

    @property
    def precision(self) -> float:
        flagged = self.hits + self.false_positives
        return self.hits / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        positives = self.hits + self.misses
        return self.hits / positives if positives else 1.0


def score_pair(pair: RevisionPair, findings: Sequence[ClauseFinding], old: Segmented, new: Segmented) -> CompareScore:
    old_spans, new_spans = SpanFinder(old), SpanFinder(new)
    mapping = counterparts(pair.old, pair.new)
    for label in pair.clauses:
        if label.new_clause is not None:
            mapping[resolve(pair.old, label.clause).index] = resolve(pair.new, label.new_clause).index
    new_to_old = {n: o for o, n in mapping.items()}
    flagged_old: set[int] = set()
    flagged_new: set[int] = set()
    modified_old: set[int] = set()
    score = CompareScore()
    for finding in findings:
        added = finding.status == "added"
        file, finder = (pair.new, new_spans) if added else (pair.old, old_spans)
        span = finder.take(finding.title)
        if span is not None:
            hit = covered(file, (span.start, span.end))
        else:
            hit = by_title(file, finding.title)
            if not hit and finding.status in FLAGGING:
                score.unmapped.append(f"{pair.id}: {finding.status} “{finding.title}”")
        if finding.status not in FLAGGING:
            continue
        for s in hit:
            if not added:
                flagged_old.add(s.index)
                modified_old.add(s.index)
            elif s.index in new_to_old:
                flagged_old.add(new_to_old[s.index])
            else:
                flagged_new.add(s.index)
    positives_old: set[int] = set()
    ignored_old: set[int] = set()
    for label in pair.clauses:
        section = label_section(pair, label)
        name = f"{pair.id}: {label.clause} ({label.kind})"
        if label.kind == "added":
            parent_old = _parent_counterpart(pair, section, new_to_old)
            found = section.index in flagged_new or (parent_old is not None and parent_old in modified_old)
            score.hits += found
            score.misses += not found
            if not found:
                score.missed.append(name)
        elif label.kind in CHANGED_KINDS:
            positives_old.add(section.index)
            if section.index in flagged_old:
                score.hits += 1
            else:
                score.misses += 1
                score.missed.append(name)
        elif label.kind == "reworded":
            ignored_old.add(section.index)
    kinds = {label_section(pair, lb).index: lb.kind for lb in pair.clauses if lb.kind != "added"}
    for index in sorted(flagged_old - positives_old - ignored_old):
        score.false_positives += 1
        what = kinds.get(index, "unchanged")
        score.false_alarms.append(f"{pair.id}: {ref_of(sections(pair.old)[index])} ({what})")
    return score


def _parent_counterpart(pair: RevisionPair, section: Section, new_to_old: dict[int, int]) -> int | None:
    if section.parent is None:
        return None
    parents = [s for s in sections(pair.new)[: section.index] if s.title == section.parent]
    return new_to_old.get(parents[-1].index) if parents else None


def naive_compare(old: ContractForAnalysis, new: ContractForAnalysis) -> list[ClauseFinding]:
    remaining = list(new.clauses)
    findings = []
    for clause in old.clauses:
        partner = next((c for c in remaining if c.title.strip().lower() == clause.title.strip().lower()), None)
        if partner is None:
            findings.append(ClauseFinding(title=clause.title, status="missing", explanation=""))
            continue
        remaining.remove(partner)
        ratio = difflib.SequenceMatcher(None, clause.text, partner.text, autojunk=False).ratio()
        status: ClauseStatus = "modified" if ratio < 1.0 else "matched"
        findings.append(ClauseFinding(title=clause.title, status=status, explanation=""))
    findings += [ClauseFinding(title=c.title, status="added", explanation="") for c in remaining]
    return findings


Comparer = Callable[[ContractForAnalysis, ContractForAnalysis], list[ClauseFinding]]


def offline_compare(analyzer: OfflineAnalyzer) -> Comparer:
    def compare(old: ContractForAnalysis, new: ContractForAnalysis) -> list[ClauseFinding]:
        return analyzer.compare(ComparisonTask(standard=old, compared=new)).output.clauses

    return compare


def run_comparisons(pairs: Iterable[RevisionPair], compare: Comparer, segmenter: Segmenter) -> CompareScore:
    total = CompareScore()
    for pair in pairs:
        old, new = segmenter(pair.old, "old"), segmenter(pair.new, "new")
        total.add(score_pair(pair, compare(old.contract, new.contract), old, new))
    return total


# --- query -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryOutcome:
    question: Question
    cited: tuple[str, ...]  # refs of the cited reference sections, in order
    top1: bool
    top3: bool


def _squash(text: str) -> tuple[str, list[int]]:
    """Text with runs of whitespace as one space, and each kept character's offset in the original."""
    out: list[str] = []
    where: list[int] = []
    for m in re.finditer(r"\S+", text):
        if out:
            out.append(" ")
            where.append(m.start())
        out.append(m.group())
        where.extend(range(m.start(), m.end()))
    return "".join(out), where


def cited_sections(file: str, segmented: Segmented, citations: Sequence[Citation]) -> list[Section]:
    text = read(file)
    out: list[Section] = []
    for citation in citations:
        span = next((s for s in segmented.spans if s.title == citation.clause_title), None)
        if span is None:
            candidates = by_title(file, citation.clause_title)
            section = candidates[0] if candidates else None
        else:
            section = _quoted_section(file, text, span, citation.quote)
        if section is not None and section not in out:
            out.append(section)
    return out


def _quoted_section(file: str, text: str, span: Span, quote: str) -> Section | None:
    squashed, where = _squash(text[span.start : span.end])
    wanted = " ".join(quote.split()).strip(" .…")
    at = squashed.find(wanted[:200]) if wanted else -1
    if at >= 0:
        offset = span.start + where[at]
        for s in sections(file):
            if s.start <= offset < max(s.end, s.start + 1):
                return s
    overlaps = [
        (_blank_free_overlap(text, (s.start, s.end), (span.start, span.end)), -s.index, s) for s in sections(file)
    ]
    best = max(overlaps, key=lambda o: (o[0], o[1]), default=None)
    return best[2] if best is not None and best[0] > 0 else None


def grade(question: Question, per: PerContractAnswer, cited: list[Section]) -> QueryOutcome:
    refs = tuple(ref_of(s) for s in cited)
    if question.not_addressed:
        right = not per.citations or not per.relevant
        return QueryOutcome(question, refs, right, right)
    parts = [{resolve(question.contract, r).index for r in part} for part in question.answers]
    indexes = [s.index for s in cited]
    relevant = per.relevant and bool(indexes)
    top1 = relevant and any(indexes[0] in part for part in parts)
    top3 = relevant and all(any(i in part for i in indexes[:TOP_K]) for part in parts)
    return QueryOutcome(question, refs, top1, top3)


Answerer = Callable[[QueryPartTask], PartAnswer]


def run_questions(questions: Iterable[Question], answer: Answerer, segmenter: Segmenter) -> list[QueryOutcome]:
    outcomes = []
    for question in questions:
        segmented = segmenter(question.contract, question.id)
        task = QueryPartTask(question=question.text, part_index=0, contracts=[segmented.contract])
        per = answer(task).per_contract[0]
        outcomes.append(grade(question, per, cited_sections(question.contract, segmented, per.citations)))
    return outcomes


def naive_answer(task: QueryPartTask) -> PartAnswer:
    """The top three BM25 clauses with a positive score, cited in order; nothing cited when none scores."""
    per_contract = []
    for contract in task.contracts:
        order = bm25_top(task.question, contract, TOP_K)
        citations = [
            Citation(contract_id=contract.contract_id, clause_title=contract.clauses[i].title, quote="") for i in order
        ]
        per_contract.append(
            PerContractAnswer(
                contract_id=contract.contract_id,
                contract_title=contract.title,
                answer="",
                relevant=bool(citations),
                citations=citations,
            )
        )
    return PartAnswer(part_index=task.part_index, answer="", citations=[], per_contract=per_contract)


# --- report ------------------------------------------------------------------------------------------------------


def _share(n: int, d: int) -> str:
    return f"{n}/{d} = {n / d:6.1%}" if d else "  n/a"


def report_compare(name: str, score: CompareScore, seconds: float, verbose: bool) -> None:
    flagged = score.hits + score.false_positives
    positives = score.hits + score.misses
    print(
        f"    {name:22s} precision {_share(score.hits, flagged):16s}  recall {_share(score.hits, positives):16s}"
        f"  {seconds * 1000:6.0f} ms"
    )
    if verbose:
        for line in score.missed:
            print(f"      miss: {line}")
        for line in score.false_alarms:
            print(f"      false positive: {line}")
        for line in score.unmapped:
            print(f"      unmapped finding: {line}")


def report_query(name: str, outcomes: list[QueryOutcome], seconds: float, verbose: bool) -> None:
    n = len(outcomes)
    top1, top3 = sum(o.top1 for o in outcomes), sum(o.top3 for o in outcomes)
    styles = sorted({o.question.style for o in outcomes})
    by_style = ", ".join(
        f"{s} {sum(o.top1 for o in outcomes if o.question.style == s)}/{sum(o.question.style == s for o in outcomes)}"
        for s in styles
    )
    print(
        f"    {name:22s} top-1 {_share(top1, n):16s}  top-3 {_share(top3, n):16s}  (top-1 by style: {by_style})"
        f"  {seconds * 1000:6.0f} ms"
    )
    if verbose:
        for o in outcomes:
            if not o.top1:
                expected = " + ".join(" | ".join(part) for part in o.question.answers) or "not addressed"
                got = " | ".join(o.cited[:TOP_K]) or "nothing cited"
                print(f"      {o.question.id} {o.question.text!r}: expected {expected}; cited {got}")


def bench(
    pairs: Sequence[RevisionPair],
    questions: Sequence[Question],
    splits: Sequence[str] = SPLITS,
    verbose: bool = False,
    reference_sections: bool = False,
    without_semantic: bool = False,
) -> None:
    analyzer = OfflineAnalyzer()
    comparers: list[tuple[str, Comparer, Segmenter]] = [
        ("offline", offline_compare(analyzer), app_segments),
        ("naive difflib", naive_compare, app_segments),
    ]
    answerers: list[tuple[str, Answerer, Segmenter]] = [
        ("offline", lambda task: analyzer.answer_part(task).output, app_segments),
        ("naive BM25 top-3", naive_answer, app_segments),
    ]
    if without_semantic:
        comparers.append(("offline, no semantic", _words_only(offline_compare(analyzer)), app_segments))
        answerers.append(
            ("offline, no semantic", _words_only(lambda task: analyzer.answer_part(task).output), app_segments)
        )
    if reference_sections:
        comparers.append(("offline, ref. sections", offline_compare(analyzer), reference_segments))
        answerers.append(("offline, ref. sections", lambda task: analyzer.answer_part(task).output, reference_segments))
    groups = [(s, [p for p in pairs if p.split == s], [q for q in questions if q.split == s]) for s in splits]
    if len(splits) > 1:
        groups.append(("all", list(pairs), list(questions)))
    for name, group_pairs, group_questions in groups:
        labelled = [lb for p in group_pairs for lb in p.clauses]
        kinds = ", ".join(f"{k} {sum(lb.kind == k for lb in labelled)}" for k in sorted({lb.kind for lb in labelled}))
        print(f"{name}: {len(group_pairs)} revision pairs ({kinds}); {len(group_questions)} questions")
        print("  comparison, by reference section:")
        for label, compare, segmenter in comparers:
            start = time.perf_counter()
            score = run_comparisons(group_pairs, compare, segmenter)
            report_compare(label, score, time.perf_counter() - start, verbose)
        print("  query, first citations:")
        for label, answer, segmenter in answerers:
            start = time.perf_counter()
            outcomes = run_questions(group_questions, answer, segmenter)
            report_query(label, outcomes, time.perf_counter() - start, verbose)


@contextmanager
def _semantic_off() -> Iterator[None]:
    saved = ranking.LEXICAL, ranking.SEMANTIC, alignment.SEMANTIC_SHARE
    ranking.LEXICAL, ranking.SEMANTIC, alignment.SEMANTIC_SHARE = 1.0, 0.0, 0.0
    try:
        yield
    finally:
        ranking.LEXICAL, ranking.SEMANTIC, alignment.SEMANTIC_SHARE = saved


T = TypeVar("T")


def _words_only(run: Callable[..., T]) -> Callable[..., T]:
    """The same analyzer with the semantic model's share of every score set to zero."""

    def wrapped(*args: object) -> T:
        with _semantic_off():
            return run(*args)

    return wrapped


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--split", choices=SPLITS, help="only this split (default: both, and all)")
    parser.add_argument("--verbose", action="store_true", help="list misses, false positives and wrong answers")
    parser.add_argument("--pairs", help="comma-separated pair ids (default: all)")
    parser.add_argument("--questions", help="comma-separated question ids (default: all)")
    parser.add_argument(
        "--reference-sections", action="store_true", help="also run the analyzer on the reference sections"
    )
    parser.add_argument(
        "--without-semantic", action="store_true", help="also run the analyzer with the semantic model switched off"
    )
    args = parser.parse_args(argv)
    pairs, questions = load_pairs(), load_questions()
    if args.pairs:
        wanted = set(args.pairs.split(","))
        pairs = [p for p in pairs if p.id in wanted]
    if args.questions:
        wanted = set(args.questions.split(","))
        questions = [q for q in questions if q.id in wanted]
    splits: tuple[str, ...] = (args.split,) if args.split else SPLITS
    bench(pairs, questions, splits, args.verbose, args.reference_sections, args.without_semantic)


if __name__ == "__main__":
    main()
