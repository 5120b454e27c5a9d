"""The word-level redline of a modified clause: what the compared contract inserted and deleted against the standard.

A lawyer reads a change as Word's Compare shows it: the compared text, with the standard's words that are gone
struck through and the new words underlined. Computed once, when a comparison's result is put together
(shared/comparison/findings.py ``enhance``), so the page, the Word report and any API client show the same runs.

How:

1. Both excerpts are read in their comparable form (shared/text/markup.py ``project``, the one place that says what
   markup is) and cut into tokens: words (letters and digits, inner apostrophes kept) and single punctuation
   marks (a short bracketed number, "(30)", is one token). Punctuation counts: "$1,000" and "$1.000" are different
   amounts. Markup, typography and spacing do not.
2. The token sequences are diffed by diff-match-patch (Myers' algorithm, then its semantic cleanup, which folds a
   stray shared word such as "the" between two changes into the change, as a reader expects), each token mapped
   to one character so the diff is on words, not letters. ``python -m bench.redline_bench`` measured it against
   difflib and rapidfuzz on the tokens and a naive character diff.
3. The runs are cut from the verbatim excerpts: equal and inserted text from the compared excerpt, deleted text
   from the standard's. A stretch that differs only in markup is equal (and shown as the compared contract writes
   it), so the equal and insert runs joined give back the compared excerpt exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from diff_match_patch import diff_match_patch

from shared.comparison.models import ClauseFinding, ComparisonResult, RedlineOp, RedlineRun
from shared.text.markup import project

__all__ = ["Token", "add_redlines", "opcodes", "redline", "runs", "tokens"]

# A number in brackets as contracts write them ("thirty (30) days"), so "(30)" -> "(60)" reads as one change; words
# as markup.comparable_words reads them; each other punctuation mark on its own.
_TOKEN = re.compile(r"\([^\W_]{1,12}\)|[^\W_]+(?:'[^\W_]+)*|[^\w\s]|_")
# An HTML entity is one character of the comparable form: its token spans the whole entity in the verbatim text.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# A clause pair takes about 1 ms; a clause rewritten from end to end (every word moved) would take Myers' algorithm
# ~60 ms in pure Python. Past this deadline diff-match-patch stops looking for the smallest diff and reports the rest
# as one replacement, which is what such a rewrite is to a reader anyway.
DIFF_TIMEOUT_S = 0.02

OpcodeTag = Literal["equal", "replace", "insert", "delete"]
Opcode = tuple[OpcodeTag, int, int, int, int]


@dataclass(frozen=True)
class Token:
    """A token of the comparable form and the verbatim span it was read from."""

    text: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """The tokens of ``text``'s comparable form, each with its verbatim offsets (in order, never overlapping)."""
    s, where = project(text)
    out: list[Token] = []
    last = 0
    for m in _TOKEN.finditer(s):
        start = max(where[m.start()], last)
        end = max(where[m.end() - 1] + 1, start)
        if text[end - 1 : end] == "&" and (entity := _ENTITY.match(text, end - 1)):
            end = entity.end()
        out.append(Token(m.group(), start, end))
        last = end
    return out


def opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """difflib-style opcodes turning token list ``a`` into ``b``, from diff-match-patch on one character per
    distinct token, semantically cleaned up."""
    codes: dict[str, str] = {}

    def encode(words: Sequence[str]) -> str:
        # Characters from plane 1 on: room for a million distinct tokens, far more than any excerpt holds.
        return "".join(codes.setdefault(w, chr(0x10000 + len(codes))) for w in words)

    dmp = diff_match_patch()
    dmp.Diff_Timeout = DIFF_TIMEOUT_S
    diffs = dmp.diff_main(encode(a), encode(b), checklines=False)
    dmp.diff_cleanupSemantic(diffs)
    out: list[Opcode] = []
    i = j = 0
    pending_a = pending_b = 0
    for op, chunk in diffs:
        n = len(chunk)
        if op == 0:
            if pending_a or pending_b:
                out.append(_change(i - pending_a, i, j - pending_b, j))
                pending_a = pending_b = 0
            out.append(("equal", i, i + n, j, j + n))
            i += n
            j += n
        elif op == -1:
            pending_a += n
            i += n
        else:
            pending_b += n
            j += n
    if pending_a or pending_b:
        out.append(_change(i - pending_a, i, j - pending_b, j))
    return out


def _change(i1: int, i2: int, j1: int, j2: int) -> Opcode:
    tag: OpcodeTag = "replace" if i2 > i1 and j2 > j1 else "delete" if i2 > i1 else "insert"
    return (tag, i1, i2, j1, j2)


def runs(
    standard: str, compared: str, a: Sequence[Token], b: Sequence[Token], codes: Iterable[Opcode]
) -> list[RedlineRun]:
    """The redline runs of ``codes`` (over the tokens ``a`` of ``standard`` and ``b`` of ``compared``), cut from
    the verbatim texts. Whatever lies between tokens (spaces, markup) goes with the token after it; what follows
    the last token of the compared text ends the last run."""
    out: list[RedlineRun] = []
    pos_a = pos_b = 0

    def emit(op: RedlineOp, text: str) -> None:
        if not text:
            return
        if out and out[-1].op == op:
            out[-1] = RedlineRun(op=op, text=out[-1].text + text)
        else:
            out.append(RedlineRun(op=op, text=text))

    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal":
            end = b[j2 - 1].end
            emit("equal", compared[pos_b:end])
            pos_b = end
            pos_a = a[i2 - 1].end
            continue
        deleted = standard[pos_a : a[i2 - 1].end] if i2 > i1 else ""
        inserted = compared[pos_b : b[j2 - 1].end] if j2 > j1 else ""
        if deleted and inserted:
            # A replacement: the space before it is shared, so it is written once, outside the change.
            lead = len(inserted) - len(inserted.lstrip())
            if lead and deleted[:1].isspace():
                emit("equal", inserted[:lead])
                inserted = inserted[lead:]
                deleted = deleted.lstrip()
        elif deleted and not deleted[:1].isspace() and i2 < len(a):
            # Words deleted where no space led to them (the start of the text): the space that followed them goes
            # with them, or the standard's words would read run together ("days receipt" -> "daysreceipt").
            gap = standard[a[i2 - 1].end : a[i2].start]
            deleted += gap[: len(gap) - len(gap.lstrip())]
        emit("delete", deleted)
        emit("insert", inserted)
        if i2 > i1:
            pos_a = a[i2 - 1].end
        if j2 > j1:
            pos_b = b[j2 - 1].end
    emit("equal", compared[pos_b:])
    return out


def redline(standard: str, compared: str) -> list[RedlineRun]:
    """The word-level redline from ``standard`` to ``compared`` (two excerpts of one clause)."""
    a, b = tokens(standard), tokens(compared)
    return runs(standard, compared, a, b, opcodes([t.text for t in a], [t.text for t in b]))


def finding_redline(finding: ClauseFinding) -> list[RedlineRun] | None:
    """A modified finding's redline (None for any other status, or without both excerpts to compare)."""
    if finding.status != "modified" or not finding.standard_excerpt or not finding.compared_excerpt:
        return None
    return redline(finding.standard_excerpt, finding.compared_excerpt)


def add_redlines(result: ComparisonResult) -> ComparisonResult:
    """``result`` with every modified finding's redline: those it has are kept, the others computed (a result
    saved before redlines existed gets them when it is read)."""
    comparisons = []
    changed = False
    for comparison in result.comparisons:
        clauses = []
        for finding in comparison.clauses:
            if finding.redline is None and (lines := finding_redline(finding)) is not None:
                finding = finding.model_copy(update={"redline": lines})
                changed = True
            clauses.append(finding)
        comparisons.append(comparison.model_copy(update={"clauses": clauses}))
    return result.model_copy(update={"comparisons": comparisons}) if changed else result
