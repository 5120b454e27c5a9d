"""Heading lines of a contract: which lines open a clause, with the clause's number, title and level.

One pass over the lines (see segmentation.py for the rules the headings follow): Markdown headings at any depth
(ATX ``###`` and setext underlines) with or without numbers and letters (``## B. Account Terms``,
``#### 5. Requirements``, ``1\\. Who's Who`` underlined), ARTICLE and Section headings, numbered titles ("3.1
Fees.", "1. **Term**.", ``1. <span class="header_2">Service</span>``) including titled items of nested Markdown
lists, numbered paragraphs that continue the numbering, and "(a)" / "(i)" items at the start of a paragraph.
YAML front matter and fenced code are never headings. Inline markup (HTML tags, emphasis, links, escapes) is read
through: titles come out as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.text.titles import clean_title, derive_title, is_title, plain_inline

# Same-length substitutions, so offsets into the scanned copy are offsets into the original text.
_SPACE_MAP = {0x00A0: " ", 0x2007: " ", 0x202F: " ", 0x09: " ", 0x0D: " ", 0x0B: " ", 0x0C: " "}

_ROMAN = r"[IVXLCDM]+"
_SEP = r"\s*(?:[.:\-\u2013\u2014]|\s)\s*"  # ".", ":", "-", en/em dash or just space between number and title
_MD_OPEN = re.compile(r" {0,3}(#{1,6}) +")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-{2,}) *$")
_FENCE = re.compile(r"^ {0,3}(?:```|~~~)")
_FRONT_MATTER_KEY = re.compile(r"^[A-Za-z_][\w-]*:|^\s+-\s|^\s+\S|^\s*$|^#")
_ARTICLE = re.compile(rf"^(?:ARTICLE|Article)\s+({_ROMAN}|\d{{1,3}})\b\.?(?:{_SEP}(.*))?$")
_SECTION = re.compile(rf"^(?:SECTION|Section|§)\s*(\d{{1,3}}(?:\.\d{{1,3}})*)\b\.?(?:{_SEP}(.*))?$")
_BOLD_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.? +\*\*([^*\n]+?)\*\*\.?(?: (.*))?$")
_NUMBER_IN_BOLD = re.compile(r"^\*\*(\d{1,3}(?:\.\d{1,3})*)\.? +([^*\n]+?)\*\*(?: (.*))?$")
_NUMBER_TITLE = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.? +([A-Z][^.\n]{0,79}?)\.(?: +(.*))?$")
_NUMBER_LINE = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.? +([A-Z][^.\n]{0,79})$")
_NUMBER_ANY = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.? +(\S.*)$")
# Numbering inside a Markdown heading: "3.", "3.1", "B.", "a.", "IV." (a letter or roman numeral needs its dot).
_MD_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*\.?|[A-Za-z]\.|[IVXLC]{1,6}\.)\s+(\S.*)$")
# An item of a nested Markdown list: "    1. ..." or "    a. ..." (indented under its parent item).
_LIST_ITEM = re.compile(r"^(\d{1,3}|[a-z])[.)] +(\S.*)$")
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
    anchor: int | None = field(default=None, repr=False)  # "(a)" items: index of the heading they sit under
    depth: int = field(default=0, repr=False)  # ... and how many levels below it


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


def _ordinal(label: str) -> int:
    return int(label) if label.isdigit() else ord(label) - ord("a") + 1


class _Scanner:
    """One pass over the lines; keeps just enough numbering state to reject stray numbered lines."""

    def __init__(self, structured: bool) -> None:
        # A document whose sections are Markdown headings: its untitled numbered paragraphs are list items.
        self.structured = structured
        self.headings: list[Heading] = []
        self.in_articles = False
        self.last_top: int | None = None  # last accepted depth-1 arabic number
        self.last_sub: tuple[str, int] | None = None  # (parent number, last minor) for "3.1"-style
        self.structural: int | None = None  # index of the last non-(a) heading
        self.paren_kinds: list[str] = []
        self.last_alpha = ""
        self.md_levels: list[tuple[int, int]] = []  # (index into headings, number of #) for Markdown headings
        # Open items of a nested Markdown list: (indent, ordinal, number) from the outermost in.
        self.list_stack: list[tuple[int, int, str]] = []

    # -- helpers -----------------------------------------------------------------------------------------
    def _numbered_level(self, number: str) -> int:
        depth = _depth(number)
        return max(depth, 2) if self.in_articles else depth

    def _note_number(self, number: str) -> None:
        parts = number.split(".")
        if not all(p.isdigit() for p in parts):
            return
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
            self.structural = len(self.headings) - 1
            self.paren_kinds = []
            self.last_alpha = ""

    # -- classification ----------------------------------------------------------------------------------
    def line(self, start: int, raw: str, paragraph_start: bool, next_line: str) -> None:
        stripped = raw.strip()
        if not stripped:
            return
        indent = len(raw) - len(raw.lstrip())
        if indent == 0 and not stripped[0].isdigit():
            self.list_stack = []  # a paragraph at the margin closes any open list
        first = stripped[0]
        if first not in "#*_<0123456789AaSs§(" and not (indent and first.isalpha()):
            return
        if stripped[:2] in ("* ", "- ", "+ "):
            return  # a bullet: an item of a list, never a heading
        md = markdown_heading(raw) if first == "#" else None
        if md:
            self.markdown(start, *md)
            return
        plain = plain_inline(stripped)
        if not plain:
            return
        if self._article_or_section(start, plain, next_line):
            return
        if indent >= 2 and self.list_stack and _LIST_ITEM.match(plain):
            self._nested_item(start, indent, plain)
            return
        if plain[0].isdigit() or first in "*_":
            self._numbered(start, stripped, plain, indent, paragraph_start)
            return
        if plain[0] == "(" and paragraph_start:
            self._paren(start, plain)

    def markdown(self, start: int, hashes: int, inner: str) -> None:
        """A Markdown heading (ATX ``#`` or setext, which counts as one or two ``#``)."""
        self.list_stack = []
        content = plain_inline(inner).strip()
        if self._article_or_section(start, content, "", hashes=hashes):
            return
        number: str | None = None
        m = _MD_NUMBER.match(content)
        if m and (is_title(clean_title(m.group(2))) or m.group(1)[0].isdigit()):
            number, content = m.group(1).rstrip("."), m.group(2)
            self._note_number(number)
        self.md_levels.append((len(self.headings), hashes))
        title = clean_title(content) or (f"Section {number}" if number else "Untitled")
        self._add(Heading(start, number, title, 1))

    def _article_or_section(self, start: int, line: str, next_line: str, hashes: int = 0) -> bool:
        """ARTICLE and Section headings (``hashes``: the Markdown heading they are written as, if any)."""
        m = _ARTICLE.match(line)
        if m:
            number = m.group(1)
            title = clean_title(m.group(2) or "")
            if not title:
                candidate = plain_inline(next_line)
                if candidate and not candidate.endswith(".") and is_title(candidate):
                    title = clean_title(candidate.rstrip(":"))
            self.in_articles = True
            value = _roman_to_int(number) if number.isalpha() else int(number)
            self.last_top, self.last_sub = value, None
            if hashes:
                self.md_levels.append((len(self.headings), hashes))
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
            if hashes:
                self.md_levels.append((len(self.headings), hashes))
            self._add(Heading(start, number, clean_title(title) or f"Section {number}", level, body))
            return True
        return False

    def _open_list(self, indent: int, number: str) -> None:
        while self.list_stack and self.list_stack[-1][0] >= indent:
            self.list_stack.pop()
        if "." not in number:
            self.list_stack.append((indent, _ordinal(number), number))

    def _numbered(self, start: int, raw: str, line: str, indent: int, paragraph_start: bool) -> None:
        m = _BOLD_NUMBER.match(raw) or _NUMBER_IN_BOLD.match(raw)
        if m:  # "1. **Title**." / "**1. Title.**": unambiguous headings
            number = m.group(1)
            self._note_number(number)
            self._open_list(indent, number)
            self._add(Heading(start, number, clean_title(m.group(2)), self._numbered_level(number), m.group(3) or ""))
            return
        if line[0] in "*_":
            return
        for pattern in (_NUMBER_TITLE, _NUMBER_LINE):
            m = pattern.match(line)
            if m and is_title(m.group(2).strip()) and self._in_sequence(m.group(1), slack=2):
                number = m.group(1)
                self._note_number(number)
                self._open_list(indent, number)
                body = m.group(3) or "" if pattern is _NUMBER_TITLE else ""
                level = self._numbered_level(number)
                self._add(Heading(start, number, clean_title(m.group(2)), level, body))
                return
        m = _NUMBER_ANY.match(line)
        # Untitled numbered paragraph: only at a paragraph start and only as the next number in sequence, and not
        # in a document whose sections are Markdown headings (there it is an item of a list in its section).
        if m and paragraph_start and not self.structured and self._in_sequence(m.group(1), slack=0):
            number = m.group(1)
            self._note_number(number)
            self._open_list(indent, number)
            self._add(Heading(start, number, derive_title(m.group(2)), self._numbered_level(number)))

    def _nested_item(self, start: int, indent: int, line: str) -> None:
        """A titled item of a nested list ("    2. <span>Support.</span> During ..."): a sub-section numbered
        under its parent item ("1.2"); an untitled one is an item of a list, not a heading."""
        m = _LIST_ITEM.match(line)
        assert m is not None
        label = m.group(1)
        while self.list_stack and self.list_stack[-1][0] > indent:
            self.list_stack.pop()
        same = self.list_stack and self.list_stack[-1][0] == indent
        if same:
            _, previous, _ = self.list_stack.pop()
            if not previous < _ordinal(label) <= previous + 3:
                return
        elif _ordinal(label) > 3:
            return
        parent = self.list_stack[-1][2] if self.list_stack else ""
        number = f"{parent}.{label}" if parent else label
        self.list_stack.append((indent, _ordinal(label), number))
        title, dot, body = m.group(2).partition(". ")
        title = title.rstrip(".")
        if not (dot or m.group(2).endswith(".")) and not is_title(m.group(2)):
            return
        if not is_title(title) or len(title.split()) > 8:
            return
        level = len(self.list_stack) + (1 if self.in_articles else 0)
        self._add(Heading(start, number, clean_title(title), level, body))

    def _paren(self, start: int, line: str) -> None:
        m = _PAREN_ITEM.match(line)
        if not m or not self.headings or self.structural is None:
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
        depth = self.paren_kinds.index(kind) + 1
        # "(a) Base Salary. The Company shall ..." carries a title; "(a) use it only for ..." does not.
        head, dot, rest = m.group(2).partition(". ")
        title = clean_title(head) if dot and is_title(head.strip()) else ""
        heading = Heading(start, f"({label})", title, 0, rest if title else m.group(2))
        heading.anchor, heading.depth = self.structural, depth
        self._add(heading, structural=False)

    def finish(self) -> list[Heading]:
        """Levels of Markdown headings by # rank (a lone first top-rank title is a sibling of the sections), then of
        "(a)" items below the heading they sit under."""
        md = self.md_levels
        if md:
            ranks = sorted({h for _, h in md})
            top_count = sum(1 for _, h in md if h == ranks[0])
            title_only = len(ranks) > 1 and top_count == 1 and md[0][1] == ranks[0]
            for idx, hashes in md:
                rank = ranks.index(hashes)
                if title_only:
                    rank = max(rank - 1, 0)
                self.headings[idx].level = rank + 1
        for heading in self.headings:
            if heading.anchor is not None:
                heading.level = max(self.headings[heading.anchor].level, 1) + heading.depth
        return self.headings


def _front_matter_end(lines: list[str]) -> int:
    """Lines of YAML front matter (``---`` ... ``---`` at the very top), 0 when there is none."""
    if not lines or lines[0].strip() != "---":
        return 0
    for i, line in enumerate(lines[1:60], start=1):
        if line.strip() in ("---", "..."):
            return i + 1
        if not _FRONT_MATTER_KEY.match(line):
            return 0
    return 0


def _setext_title(lines: list[str], i: int, previous_blank: bool) -> bool:
    """Is ``lines[i]`` a heading underlined by ``lines[i + 1]`` (``===`` or ``---``)?"""
    if i + 1 >= len(lines) or not previous_blank:
        return False
    line = lines[i].strip()
    if not line or line[0] in "|>-*+=" or _SETEXT_UNDERLINE.match(lines[i]):
        return False
    return bool(_SETEXT_UNDERLINE.match(lines[i + 1])) and len(line) <= 200


def find_headings(text: str) -> list[Heading]:
    """The lines of ``text`` that open a clause, in order, with their levels."""
    scan = text.translate(_SPACE_MAP)
    lines = scan.split("\n")
    skip = _front_matter_end(lines)
    structured = _count_markdown_headings(lines, skip) >= 2
    scanner = _Scanner(structured)
    offset = sum(len(line) + 1 for line in lines[:skip])
    prev_blank = True
    in_fence = False
    consumed = False
    for i in range(skip, len(lines)):
        line = lines[i]
        if consumed:  # a setext underline
            consumed = False
        elif _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and _setext_title(lines, i, prev_blank):
            scanner.markdown(offset, 1 if lines[i + 1].strip().startswith("=") else 2, line.strip())
            consumed = True
        elif not in_fence:
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


def _count_markdown_headings(lines: list[str], skip: int) -> int:
    count = 0
    prev_blank = True
    for i in range(skip, len(lines)):
        if markdown_heading(lines[i]) or _setext_title(lines, i, prev_blank):
            count += 1
        prev_blank = not lines[i].strip()
    return count
