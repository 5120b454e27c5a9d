"""The one registry of the elements our prompts use as delimiters, and the only two ways untrusted text (contracts,
documents, questions, prompt texts, titles, filenames, earlier answers) goes into a prompt.

Every prompt builder writes its structure with `open_tag` / `close_tag` / `element` (which refuse a tag that is
not registered here) and puts untrusted text in only through:

- `neutralise(text)` for element content: every "<" that starts something a model could read as one of our tags —
  any registered name, in any case, opening, closing or self-closing, with spaces, a slash or invisible characters
  (zero-width spaces, soft hyphens) before or inside the name, with or without attributes or the closing ">" — is
  written `&lt;`. Nothing else changes, so the text stays as readable as it was (the system prompt tells the model
  that `&lt;` is a literal "<"), and since every prompt is counted from its rendered text, the exact token counts
  of what is sent stay exact.
- `attr(value)` for attribute values: `&`, `<`, `>`, `"` and `'` as entities, and every control character
  (newlines, tabs) as a numeric reference, so a value can neither end its attribute nor its tag nor its line.

Why `&lt;` rather than a look-alike character (a single angle quotation mark, a full-width less-than): it is the
escape every model has read in countless XML and HTML pages, so it reads as "a less-than sign that is not markup",
which is exactly what it is; and it maps back without doubt (`html.unescape`), where a look-alike could not be told
from the same character in the source — quotes the model copies from the data are checked against the source, and
the query verifier accepts the neutralised form. Tags spelled with full-width or other look-alike angle brackets
are left alone: they are not our delimiters, and our structure is only ever the ASCII tags registered here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

DELIMITER_TAGS: tuple[str, ...] = (
    # shared/llm/framing.py: contracts and their clauses (comparison and query prompts)
    "contract",
    "clause",
    # shared/query/prompts.py: the question, and the partial answers of a combine
    "question",
    "part",
    # shared/comparison/prompts.py: the standard's clauses a `clauses` comparison reports on
    "selected_clauses",
    # shared/batches/prompts.py: the reviewer's prompt and the document evaluated
    "prompt",
    "document",
    # Used by no prompt of ours, but read by models as a change of instructions: defused too.
    "instructions",
    "system",
)
"""Every element name any prompt uses (and two a model reads as new instructions).
tests/security/test_prompt_breakout.py renders every builder and fails on a tag that is not here."""

# Characters a model does not see, or sees as nothing, between "<" and a tag's letters.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_GAP = f"[\\s/{INVISIBLE}]*"
_IN_NAME = f"[{INVISIBLE}]*"


def _spelled(name: str) -> str:
    """`name` with invisible characters allowed between its letters."""
    return _IN_NAME.join(re.escape(letter) for letter in name)


_TAG_LIKE = re.compile(
    "<(?=" + _GAP + "(?:" + "|".join(_spelled(n) for n in sorted(DELIMITER_TAGS, key=len, reverse=True)) + r")\b)",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnregisteredTag(ValueError):
    """A prompt builder used an element name that is not in DELIMITER_TAGS (a bug, caught by the tests)."""


def neutralise(text: str) -> str:
    """`text` as element content: nothing in it can open or close one of our elements."""
    return _TAG_LIKE.sub("&lt;", text)


def attr(value: str) -> str:
    """`value` as the content of a double-quoted attribute."""
    return _CONTROL.sub(lambda m: f"&#{ord(m.group())};", html.escape(value, quote=True))


def _registered(name: str) -> str:
    if name not in DELIMITER_TAGS:
        raise UnregisteredTag(f"<{name}> is not a registered delimiter (shared/llm/delimiters.py: DELIMITER_TAGS)")
    return name


def open_tag(name: str, attributes: Mapping[str, str | int | None] | None = None) -> str:
    """`<name a="v" ...>`, every value escaped; attributes whose value is None are left out."""
    rendered = "".join(f' {key}="{attr(str(value))}"' for key, value in (attributes or {}).items() if value is not None)
    return f"<{_registered(name)}{rendered}>"


def close_tag(name: str) -> str:
    return f"</{_registered(name)}>"


def element(
    name: str, content: str, attributes: Mapping[str, str | int | None] | None = None, *, lines: bool = False
) -> str:
    """`<name ...>content</name>` with `content` neutralised; `lines` puts it on lines of its own."""
    inner = f"\n{neutralise(content)}\n" if lines else neutralise(content)
    return f"{open_tag(name, attributes)}{inner}{close_tag(name)}"
