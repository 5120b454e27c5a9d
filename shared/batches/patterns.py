"""The regular expressions of `checks` scoring, on a linear-time engine.

A check's pattern is a user's input run over a whole document. On Python's `re` (a backtracking engine) a pattern
like `(\\w+\\s?)+$` takes exponential time on a line it almost matches, holding the GIL: the worker, and every other
user's requests in it, froze. RE2 (`google-re2`) matches in time linear in the text whatever the pattern, and
releases the GIL while it does. It has no backreferences and no lookaround (they need backtracking): a pattern
that uses them is refused with the reason when the batch is saved.

How much a pattern costs per byte of text grows with the size of its compiled program (`{0,500}` repetitions
unroll), so that is bounded too: MAX_PROGRAM_SIZE instructions for the checks of one prompt together, which with
the document text capped at MAX_EXTRACTED_CHARS bounds the time one record's checks can take (~20 s in the worst
case we could build, on a worker thread that holds no GIL). Measured: bench/regex_bench.py.

Matching follows what checks always did: case-insensitive, `^`/`$` at line breaks. Differences from `re` a user may
meet: `\\Z` is `\\z`; `\\w`, `\\d` and `\\b` are ASCII-only (`\\pL` for any letter).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import re2

Pattern = Any  # re2._Regexp (google-re2 has no type hints)

MAX_PATTERN_CHARS = 1_000
MAX_PROGRAM_SIZE = 2_500
"""RE2 program instructions for all the checks of one prompt. Ordinary checks need 20 to 60 each ("governed by the
laws": 26), and run at memory speed. A pattern whose DFA blows up on the text (`a.{300}c` over random a/b) falls back
to RE2's NFA, whose cost per byte grows with the program: up to ~4 ns per instruction and byte here, so a prompt's
checks at this limit can take ~20 s over a 2,000,000-character document built against them (bench/regex_bench.py),
on a worker thread that holds no GIL. `.{0,200}` alone is 1,600."""
RUN_MEMORY = 8 << 20
"""What one compiled pattern and its DFA cache may use when it runs (RE2's default, stated)."""
CHECK_MEMORY = 1 << 20
"""What compiling a pattern may use when a client's configuration is checked: ample for any program within
MAX_PROGRAM_SIZE, and a pattern RE2 cannot fit (`\\pL{1000}`) fails in milliseconds instead of tens of them."""
COMPILE_PATTERNS = "compile_patterns"
"""Pydantic validation context key: `client_config()` when the configuration comes from a client (POST and PUT
/api/batches), so every pattern is compiled with RE2 and refused with the reason. A batch read back from storage is
not compiled on load (one saved before RE2 must still load): its checks are compiled when they run."""
_REFUSED = "refused"

_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")
_LOOKAROUND = re.compile(r"\(\?<?[=!]")


class PatternRefused(ValueError):
    """RE2 cannot run the pattern, or it is over the size limits; the message says why."""


def client_config() -> dict[str, Any]:
    """A fresh validation context for one client configuration. It also remembers a refusal: once one pattern is
    refused the request fails, and the patterns after it are not compiled (a configuration of 2,500 patterns that
    each take RE2 milliseconds to refuse would otherwise hold the worker for seconds)."""
    return {COMPILE_PATTERNS: True}


def compiling(context: dict[str, Any] | None) -> bool:
    return bool(context and context.get(COMPILE_PATTERNS) and not context.get(_REFUSED))


def refused(context: dict[str, Any] | None) -> None:
    if context is not None:
        context[_REFUSED] = True


def _options(max_mem: int) -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.never_capture = True  # a check asks whether and where it matches, never for groups: DFA-only matching
    options.log_errors = False
    options.max_mem = max_mem
    return options


def _why(pattern: str, error: str) -> str:
    if _BACKREFERENCE.search(pattern):
        return "backreferences (\\1, (?P=name)) are not supported: RE2 matches in linear time, without them"
    if _LOOKAROUND.search(pattern):
        return (
            "lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported: RE2 matches in linear time, "
            "without them"
        )
    if "\\Z" in pattern:
        return "\\Z is written \\z in RE2"
    if "repetition" in error:
        return f"{error} (RE2 allows at most {{1000}})"
    if "pattern too large" in error:
        return f"too complex: RE2 cannot compile it within its memory limit ({error})"
    return f"does not compile: {error}"


def compile_pattern(pattern: str, max_mem: int = RUN_MEMORY) -> Pattern:
    """The pattern compiled as a check runs it (case-insensitive, multi-line), or PatternRefused saying why.

    Never cached: `re2.compile` keeps the last 128 patterns, each with a DFA cache of up to `max_mem`, and users
    choose the patterns; a compiled pattern here lives as long as the check that uses it."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternRefused(f"is {len(pattern):,} characters long, over the {MAX_PATTERN_CHARS:,} allowed")
    try:
        return re2._Regexp(f"(?m){pattern}", _options(max_mem))
    except re2.error as exc:
        message = exc.args[0] if exc.args else str(exc)
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        raise PatternRefused(_why(pattern, str(message))) from None


def compile_checks(checks: Iterable[tuple[str, str]], max_mem: int = RUN_MEMORY) -> list[Pattern]:
    """Every (name, pattern) of a prompt's checks compiled, within MAX_PROGRAM_SIZE together; PatternRefused
    naming the check (or the prompt's total) otherwise."""
    compiled = []
    for name, pattern in checks:
        try:
            compiled.append(compile_pattern(pattern, max_mem))
        except PatternRefused as exc:
            raise PatternRefused(f"check {name!r}: {exc}") from None
    size = sum(pattern.programsize for pattern in compiled)
    if size > MAX_PROGRAM_SIZE:
        raise PatternRefused(
            f"the checks compile to {size:,} RE2 instructions together, over the {MAX_PROGRAM_SIZE:,} allowed "
            "(a long {m,n} repetition of . or of a class is the usual cause)"
        )
    return compiled
