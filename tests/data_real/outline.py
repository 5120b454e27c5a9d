"""The real agreements' structure as a lawyer reads it: their headed sections, independent of the app's segmenter.

This is the reference the labels in tests/data/real/ are written against. It knows the heading forms these
sources use, and nothing else:
- Markdown ATX headings at any depth (`## B. Account Terms`, `#### 5. Additional Terms`);
- Markdown setext headings (a line underlined with `===` or `---`, WordPress.com: `1\\. Who's Who` / `-----`);
- Common Paper's numbered list headings (`1. <span class="header_2">Service</span>`, nested
  `    1. <span class="header_3" id="1.1">Access and Use.</span>  text...`): the span's text is the title, its
  header number the depth;
- YAML front matter (`---` ... `---` at the very top) is not a heading: it belongs to the preamble.
Bold run-in paragraph titles (`**Refunds.** We may ...`) and list items are parts of the section they sit in,
not sections of their own.

A section runs from its heading line to the next heading of any depth (trailing whitespace trimmed), so the
sections partition the text after the preamble; `own_text` is that span. `parent` is the nearest enclosing
heading, except that a lone first top heading (the document's title) parents nothing.

Titles are compared in `normalize_title` form: markup, links, numbering, punctuation and case dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

PREAMBLE = "Preamble"

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---[ \t]*\n", re.S)
_ATX = re.compile(r"^(?:([0-9]+)\.[ \t]+)?(#{1,6})[ \t]+(.+?)[ \t#]*$")
_SETEXT_UNDERLINE = re.compile(r"^(=+|-+)[ \t]*$")
_SPAN_HEADER = re.compile(
    r'^[ \t]*([0-9]+(?:\.[0-9]+)*\.?|[a-z]\.)[ \t]+<span class="header_?([0-9])"[^>]*>(.*?)</span>'
)
_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"[*_`]+")
_NUMBERING = re.compile(
    r"^(?:(?:section|article)\s+)?"
    r"(?:(?:[0-9]+|[A-Za-z])(?:\.[0-9]+)+\.?|(?:[0-9]+|[A-Za-z]|[ivxIVX]+)[.)])[ \t]+"  # "R.1 ", "1.2.", "B. ", "iv) "
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Section:
    index: int
    title: str  # clean title: "Account Requirements" (no markup, no numbering)
    number: str | None  # "3", "B", "1.2" as written before the title, if any
    level: int  # heading depth as written (ATX '#' count, setext 1/2, Common Paper header number)
    parent: str | None  # clean title of the enclosing section
    start: int  # the heading line's first character (0 for the preamble)
    body_start: int  # the first character after the heading line
    end: int  # trimmed end of the section's own text (before the next heading of any depth)

    def own_text(self, text: str) -> str:
        return text[self.start : self.end]


def clean_title(raw: str) -> tuple[str, str | None]:
    """'[B. Account Terms](#b)' -> ('Account Terms', 'B'); markup, links, escapes and trailing '.' or ':' go."""
    text = _LINK.sub(r"\1", _TAG.sub("", raw)).replace("\\", "")
    text = " ".join(_EMPHASIS.sub("", text).split())
    number = None
    found = _NUMBERING.match(text)
    if found and found.end() < len(text):
        number = found.group(0).strip().rstrip(".)").split()[-1]
        text = text[found.end() :]
    return text.strip().rstrip(".:").strip(), number


def normalize_title(title: str) -> str:
    """A comparable form of a heading: 'J. **Third-Party Applications**.' -> 'third party applications'."""
    cleaned, _ = clean_title(title)
    folded = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode().lower()
    folded = folded.replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", folded).split())


@dataclass(frozen=True)
class _Heading:
    start: int
    body_start: int
    level: int
    raw: str


def _headings(text: str) -> list[_Heading]:
    found: list[_Heading] = []
    front = _FRONT_MATTER.match(text)
    offset = front.end() if front else 0
    lines = text[offset:].split("\n")
    positions = []
    pos = offset
    for line in lines:
        positions.append(pos)
        pos += len(line) + 1
    in_fence = False
    skip_next = False
    for i, line in enumerate(lines):
        if skip_next:
            skip_next = False
            continue
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        start = positions[i]
        end_of_line = start + len(line) + 1
        if atx := _ATX.match(line):
            raw = f"{atx.group(1)}. {atx.group(3)}" if atx.group(1) else atx.group(3)
            found.append(_Heading(start, end_of_line, len(atx.group(2)), raw))
            continue
        if span := _SPAN_HEADER.match(line):
            raw = f"{span.group(1).rstrip('.')}. {span.group(3)}"
            found.append(_Heading(start, start + span.end(), int(span.group(2)), raw))
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        previous = lines[i - 1] if i > 0 else ""
        underline = _SETEXT_UNDERLINE.match(nxt)
        if underline and line.strip() and not previous.strip() and not line.lstrip().startswith(("|", "-", "*", ">")):
            level = 1 if underline.group(1).startswith("=") else 2
            found.append(_Heading(start, positions[i + 1] + len(nxt) + 1, level, line.strip()))
            skip_next = True
    return found


def _trimmed(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def outline(text: str) -> list[Section]:
    """The document's sections in order: the preamble (if any text precedes the first heading), then one per
    heading; see the module docstring."""
    heads = _headings(text)
    sections: list[Section] = []
    first = heads[0].start if heads else len(text)
    if text[:first].strip():
        lead = len(text[:first]) - len(text[:first].lstrip())
        sections.append(Section(0, PREAMBLE, None, 0, None, lead, lead, _trimmed(text, lead, first)))
    levels = [h.level for h in heads]
    lone_title = bool(heads) and levels.count(min(levels)) == 1 and levels[0] == min(levels) and len(heads) > 1
    stack: list[tuple[int, str]] = []  # (level, title) of the open enclosing headings
    for i, h in enumerate(heads):
        title, number = clean_title(h.raw)
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        parent = stack[-1][1] if stack and not (lone_title and len(stack) == 1) else None
        nxt = heads[i + 1].start if i + 1 < len(heads) else len(text)
        body_start = min(h.body_start, nxt)
        sections.append(
            Section(len(sections), title, number, h.level, parent, h.start, body_start, _trimmed(text, h.start, nxt))
        )
        stack.append((h.level, title))
    return sections


def find_section(sections: list[Section], title: str, parent: str | None = None) -> list[Section]:
    """Sections whose title (and, when given, parent) match in `normalize_title` form."""
    wanted = normalize_title(title)
    out = [s for s in sections if normalize_title(s.title) == wanted]
    if parent is not None:
        want_parent = normalize_title(parent)
        out = [s for s in out if s.parent is not None and normalize_title(s.parent) == want_parent]
    return out
