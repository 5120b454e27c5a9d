"""Reading a prompt's structure the way a suspicious reader would: every "<" followed (through spaces, slashes and
invisible characters, in any case) by a registered delimiter name is structure; it must be exactly one of the tags
the builders write (`<name a="v">` or `</name>`, lower case, double-quoted attributes without "<", ">" or a
newline), or the scan reports it as malformed. Used by tests/security/test_prompt_breakout.py."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shared.llm.delimiters import DELIMITER_TAGS, INVISIBLE

# Lenient on purpose: any "<" then a name-ish run. Whether it is one of ours is decided on the name.
_START = re.compile(f"<[\\s/{INVISIBLE}]*([A-Za-z_{INVISIBLE}][\\w{INVISIBLE}-]*)")
_STRICT_OPEN = re.compile(r'<([a-z_]+)((?: [a-z_]+="[^"<>\n]*")*)>')
_STRICT_CLOSE = re.compile(r"</([a-z_]+)>")
_ATTRIBUTE = re.compile(r' ([a-z_]+)="([^"<>\n]*)"')
# Any tag name at all, for the registry check: what the builders write is plain lower-case ASCII.
_ANY_OWN_TAG = re.compile(r"</?([a-z_]+)[ >/]")


@dataclass(frozen=True)
class Tag:
    kind: str  # "open", "close" or "malformed"
    name: str
    attributes: tuple[tuple[str, str], ...] = field(default=())  # unescaped values, in order

    @property
    def shape(self) -> tuple[str, str, tuple[str, ...]]:
        """The tag without its attribute values."""
        return (self.kind, self.name, tuple(key for key, _ in self.attributes))


def _name(raw: str) -> str:
    return "".join(ch for ch in raw if ch not in INVISIBLE).casefold()


def scan(text: str, registered: Iterable[str] = DELIMITER_TAGS) -> list[Tag]:
    """Every registered delimiter in `text`, in order."""
    names = set(registered)
    tags: list[Tag] = []
    for start in _START.finditer(text):
        name = _name(start.group(1))
        if name not in names:
            continue
        at = start.start()
        opened = _STRICT_OPEN.match(text, at)
        closed = _STRICT_CLOSE.match(text, at)
        if opened is not None and opened.group(1) == name:
            attributes = tuple((k, html.unescape(v)) for k, v in _ATTRIBUTE.findall(opened.group(2)))
            tags.append(Tag("open", name, attributes))
        elif closed is not None and closed.group(1) == name:
            tags.append(Tag("close", name))
        else:
            tags.append(Tag("malformed", name, (("text", text[at : at + 40]),)))
    return tags


def messages_structure(messages: Iterable[Mapping[str, object]]) -> list[tuple[str, list[Tag]]]:
    """Each message's role and the delimiters in its content."""
    return [(str(message["role"]), scan(str(message["content"]))) for message in messages]


def balanced(tags: list[Tag]) -> bool:
    """Every element closed in order, none left open (a prompt's user message is a sequence of whole elements)."""
    stack: list[str] = []
    for tag in tags:
        if tag.kind == "malformed":
            return False
        if tag.kind == "open":
            stack.append(tag.name)
        elif not stack or stack.pop() != tag.name:
            return False
    return not stack


def tag_names_written(text: str) -> set[str]:
    """Every lower-case tag name in `text` (`<name ...>`, `</name>`): for checking the registry is complete."""
    return set(_ANY_OWN_TAG.findall(text))
