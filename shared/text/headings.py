"""Heading lines of a contract: which lines open a clause, with the clause's number, title and level.

One pass over the lines (see segmentation.py for the rules the headings follow): markdown headings, ARTICLE and
Section headings, numbered titles ("3.1 Fees.", "1. **Term**."), numbered paragraphs that continue the numbering,
and "(a)" / "(i)" items at the start of a paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.text.titles import EMPHASIS, clean_title, derive_title, is_title

# Same-length substitutions, so offsets into the scanned copy are offsets into the original text.
_SPACE_MAP = {0x00A0: " ", 0x2007: " ", 0x202F: " ", 0x09: " ", 0x0D: " ", 0x0B: " ", 0x0C: " "}

_ROMAN = r"[IVXLCDM]+"
_SEP = r"\s*(?:[.:\-\u2013\u2014]|\s)\s*"  # ".", ":", "-", en/em dash or just space between number and title
_MD_OPEN = re.compile(r" {0,3}(#{1,6}) +")
_ARTICLE = re.compile(rf"^(?:ARTICLE|Article)\s+({_ROMAN}|\d{{1,3}})\b\.?(?:{_SEP}(.*))?$")
_SECTION = re.compile(rf"^(?:SECTION|Section|§)\s*(\d{{1,3}}(?:\.\d{{1,3}})*)\b\.?(?:{_SEP}(.*))?$")
_BOLD_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.? +\*\*([^*\n]+?)\*\*\.?(?: (.*))?$")
_NUMBER_IN_BOLD = re.compile(r"^\*\*(\d{1,3}(?:\.\d{1,3})*)\.? +([^*\n]+?)\*\*(?: (.*))?$")
_NUMBER_TITLE = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.? +([A-Z][^.\n]{0,79}?)\.(?: +(.*))?$")
_NUMBER_LINE = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.? +([A-Z][^.\n]{0,79})$")
_NUMBER_ANY = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.? +(\S.*)$")
_PAREN_ITEM = re.compile(r"^\(([a-z]{1,2}|[ivxl]{1,6}|\d{1,2})\) +(\S.*)$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


@dataclass
class Heading:
    """A line that opens a clause."""

    start: int  # offset of the heading line
    number: str | None
    title: str
    level: int
    body: str = ""  # rest of the line after the title, for deriving a title


def _roman_to_int(value: str) -> int:
    total = 0
    for ch, nxt in zip(value, value[1:] + " ", strict=True):
        v = _ROMAN_VALUES[ch]
        total += -v if nxt != " " and _ROMAN_VALUES.get(nxt, 0) > v else v
    return total


def markdown_heading(line: str) -> tuple[int, str] | None:
    """(number of #, title) of an ATX heading line: "## Title ##" -> (2, "Title"). The closing #s are split off
    with string operations: the regex `(.*?)(?: +#+)? *$` this replaces backtracked through every run of spaces
    inside the line, so one long line ("# a", a million spaces, "b") took hours."""
    opened = _MD_OPEN.match(line)
    if opened is None:
        return None
    rest = line[opened.end() :].rstrip(" ")
    unclosed = rest.rstrip("#")
    if unclosed != rest and unclosed.endswith(" "):  # a closing sequence needs a space before it
        rest = unclosed.rstrip(" ")
    return len(opened.group(1)), rest


def _depth(number: str) -> int:
    return number.count(".") + 1


class _Scanner:
    """One pass over the lines; keeps just enough numbering state to reject stray numbered lines."""

    def __init__(self) -> None:
        self.headings: list[Heading] = []
        self.in_articles = False
        self.last_top: int | None = None  # last accepted depth-1 arabic number
        self.last_sub: tuple[str, int] | None = None  # (parent number, last minor) for "3.1"-style
        self.structural_level = 0  # level of the last non-(a) heading
        self.paren_kinds: list[str] = []
        self.last_alpha = ""
        self.md_levels: list[tuple[int, int]] = []  # (index into headings, number of #) for unnumbered md

    # -- helpers -----------------------------------------------------------------------------------------
    def _numbered_level(self, number: str) -> int:
        depth = _depth(number)
        return max(depth, 2) if self.in_articles else depth

    def _note_number(self, number: str) -> None:
        parts = number.split(".")
        if len(parts) == 1:
            self.last_top = int(parts[0])
            self.last_sub = None
        elif len(parts) == 2:
            self.last_sub = (parts[0], int(parts[1]))

    def _in_sequence(self, number: str, slack: int) -> bool:
        parts = number.split(".")
        if len(parts) == 1:
            n = int(parts[0])
            if self.last_top is None:
                return 1 <= n <= 1 + slack
            return self.last_top < n <= self.last_top + 1 + slack
        if len(parts) == 2:
            top, minor = parts[0], int(parts[1])
            if self.last_top is not None and top != str(self.last_top) and not self.in_articles:
                return False
            if self.last_sub is None or self.last_sub[0] != top:
                return 1 <= minor <= 1 + slack
            return self.last_sub[1] < minor <= self.last_sub[1] + 1 + slack
        return slack > 0

    def _add(self, heading: Heading, structural: bool = True) -> None:
        self.headings.append(heading)
        if structural:
            self.structural_level = heading.level
            self.paren_kinds = []
            self.last_alpha = ""

    # -- classification ----------------------------------------------------------------------------------
    def line(self, start: int, raw: str, paragraph_start: bool, next_line: str) -> None:
        stripped = raw.strip()
        if not stripped:
            return
        first = stripped[0]
        if first not in "#*_0123456789AaSs§(":
            return
        md = markdown_heading(stripped) if first == "#" else None
        if md:
            self._markdown(start, *md)
            return
        plain = stripped.lstrip("*_").strip() if first in "*_" else stripped
        if self._article_or_section(start, plain, next_line):
            return
        if first.isdigit() or first in "*_":
            self._numbered(start, stripped, paragraph_start)
            return
        if first == "(" and paragraph_start:
            self._paren(start, stripped)

    def _markdown(self, start: int, hashes: int, inner: str) -> None:
        content = EMPHASIS.sub("", inner).strip()
        if self._article_or_section(start, content, ""):
            return
        m = _NUMBER_ANY.match(content)
        if m:
            number = m.group(1)
            self._note_number(number)
            title = clean_title(m.group(2)) or f"Section {number}"
            self._add(Heading(start, number, title, self._numbered_level(number)))
            return
        self.md_levels.append((len(self.headings), hashes))
        self._add(Heading(start, None, clean_title(content) or "Untitled", 1))

    def _article_or_section(self, start: int, line: str, next_line: str) -> bool:
        m = _ARTICLE.match(line)
        if m:
            number = m.group(1)
            title = clean_title(m.group(2) or "")
            if not title:
                candidate = EMPHASIS.sub("", next_line).strip()
                if candidate and not candidate.endswith(".") and is_title(candidate):
                    title = candidate.rstrip(":")
            self.in_articles = True
            value = _roman_to_int(number) if number.isalpha() else int(number)
            self.last_top, self.last_sub = value, None
            self._add(Heading(start, number, title or f"Article {number}", 1))
            return True
        m = _SECTION.match(line)
        if m:
            rest = (m.group(2) or "").strip()
            # "Section 3 of this Agreement ..." wrapped onto a new line is a cross-reference, not a heading.
            if rest and rest[0].islower():
                return False
            number = m.group(1)
            title, _, body = rest.partition(". ")
            if not is_title(clean_title(title)):
                title, body = "", rest
            self._note_number(number)
            level = self._numbered_level(number)
            self._add(Heading(start, number, clean_title(title) or f"Section {number}", level, body))
            return True
        return False

    def _numbered(self, start: int, line: str, paragraph_start: bool) -> None:
        m = _BOLD_NUMBER.match(line) or _NUMBER_IN_BOLD.match(line)
        if m:  # "1. **Title**." / "**1. Title.**": unambiguous headings
            number = m.group(1)
            self._note_number(number)
            self._add(Heading(start, number, clean_title(m.group(2)), self._numbered_level(number), m.group(3) or ""))
            return
        if line[0] in "*_":
            return
        for pattern in (_NUMBER_TITLE, _NUMBER_LINE):
            m = pattern.match(line)
            if m and is_title(m.group(2).strip()) and self._in_sequence(m.group(1), slack=2):
                number = m.group(1)
                self._note_number(number)
                body = m.group(3) or "" if pattern is _NUMBER_TITLE else ""
                self._add(Heading(start, number, clean_title(m.group(2)), self._numbered_level(number), body))
                return
        m = _NUMBER_ANY.match(line)
        # Untitled numbered paragraph: only at a paragraph start and only as the next number in sequence.
        if m and paragraph_start and self._in_sequence(m.group(1), slack=0):
            number = m.group(1)
            self._note_number(number)
            self._add(Heading(start, number, derive_title(m.group(2)), self._numbered_level(number)))

    def _paren(self, start: int, line: str) -> None:
        m = _PAREN_ITEM.match(line)
        if not m or not self.headings:
            return
        label = m.group(1)
        # "(i)" right after "(h)" is a letter; otherwise i/v/x-only labels are roman numerals.
        is_alpha_next = len(label) == 1 and self.last_alpha and ord(label) == ord(self.last_alpha) + 1
        if label.isdigit():
            kind = "digit"
        elif re.fullmatch(r"[ivxl]+", label) and not is_alpha_next:
            kind = "roman"
        else:
            kind = "alpha"
            self.last_alpha = label[-1]
        if kind not in self.paren_kinds:
            self.paren_kinds.append(kind)
        level = max(self.structural_level, 1) + self.paren_kinds.index(kind) + 1
        # "(a) Base Salary. The Company shall ..." carries a title; "(a) use it only for ..." does not.
        head, dot, rest = m.group(2).partition(". ")
        title = clean_title(head) if dot and is_title(head.strip()) else ""
        self._add(Heading(start, f"({label})", title, level, rest if title else m.group(2)), structural=False)

    def finish(self) -> list[Heading]:
        """Assign levels to unnumbered markdown headings by # rank (a lone first top-rank title is a sibling)."""
        if self.md_levels:
            ranks = sorted({h for _, h in self.md_levels})
            top_count = sum(1 for _, h in self.md_levels if h == ranks[0])
            title_only = len(ranks) > 1 and top_count == 1 and self.md_levels[0][1] == ranks[0]
            for idx, hashes in self.md_levels:
                rank = ranks.index(hashes)
                if title_only:
                    rank = max(rank - 1, 0)
                self.headings[idx].level = rank + 1
        return self.headings


def find_headings(text: str) -> list[Heading]:
    """The lines of ``text`` that open a clause, in order, with their levels."""
    scan = text.translate(_SPACE_MAP)
    lines = scan.split("\n")
    scanner = _Scanner()
    offset = 0
    prev_blank = True
    for i, line in enumerate(lines):
        # Look-ahead for "ARTICLE III" whose title is on the next non-blank line.
        next_line = ""
        if line.lstrip()[:1] in ("A", "a", "#", "*"):
            for following in lines[i + 1 : i + 3]:
                if following.strip():
                    next_line = following
                    break
        scanner.line(offset, line, prev_blank, next_line)
        prev_blank = not line.strip()
        offset += len(line) + 1
    return scanner.finish()
