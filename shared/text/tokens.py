"""Exact, offline token counting with bpe-openai (tiktoken-compatible tables shipped in the wheel).

tiktoken downloads its tables on first use and fails offline, so we use bpe-openai, whose token ids match
tiktoken's for the same encoding. Special-token strings inside contract text (e.g. ``<|endoftext|>``) are
counted as ordinary text: that is how the model APIs treat them in user content.
"""

from __future__ import annotations

import functools
import re

import bpe_openai

SUPPORTED_ENCODINGS = ("o200k_base", "cl100k_base")
DEFAULT_ENCODING = "o200k_base"

# bpe-openai refuses to encode a single string of 1,000,000 characters or more, or one that makes more than
# 200,000 tokens (its chunk limit). A character is at most 4 UTF-8 bytes and a token at least one byte, so 50,000
# characters never make more than 200,000 tokens, whatever the text (500,000 random letters made 260,000, and
# the upload failed). Longer texts are encoded in pieces cut where a pre-tokenizer boundary is certain (see
# _SAFE_CUT), so the total stays exact.
_MAX_PIECE_CHARS = 50_000

# Cut points where no o200k/cl100k pre-token can span the cut, so encoding the pieces separately gives the
# same tokens: (1) after a newline, before a letter (letter-led pre-tokens may start with one non-letter, but
# never with \r or \n); (2) after a non-space, before a single space and a letter (no pre-token has a space
# after a non-space character; " word" starts a new one).
_SAFE_CUT = re.compile(r"(?<=\n)(?=[^\W\d_])|(?<=\S)(?= [^\W\d_])")

# Model-name prefixes, checked in order (longest/most specific first).
_MODEL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-4o", "o200k_base"),
    ("gpt-4.1", "o200k_base"),
    ("gpt-4.5", "o200k_base"),
    ("gpt-5", "o200k_base"),
    ("chatgpt-4o", "o200k_base"),
    ("gpt-oss", "o200k_base"),
    ("gpt-4", "cl100k_base"),
    ("gpt-3.5", "cl100k_base"),
    ("gpt-35", "cl100k_base"),  # Azure deployment spelling
    ("text-embedding-3", "cl100k_base"),
    ("text-embedding-ada-002", "cl100k_base"),
)
_O_SERIES = re.compile(r"^o\d")  # o1, o3-mini, o4-mini, ...


class UnsupportedEncodingError(ValueError):
    """The encoding name is not one we ship tables for."""

    def __init__(self, encoding: str) -> None:
        super().__init__(f"unsupported encoding {encoding!r}; supported: {', '.join(SUPPORTED_ENCODINGS)}")
        self.encoding = encoding


@functools.cache
def _encoder(encoding: str) -> bpe_openai.Encoding:
    # Loading the tables takes ~0.2 s; once per process per encoding.
    if encoding not in SUPPORTED_ENCODINGS:
        raise UnsupportedEncodingError(encoding)
    return bpe_openai.get_encoding(encoding)


def encoding_for_model(model: str) -> str:
    """Encoding used by an OpenAI model or Azure deployment name; unknown names get o200k_base."""
    name = model.strip().lower()
    if "/" in name:  # e.g. "openai/gpt-4o" from OpenAI-compatible routers
        name = name.rsplit("/", 1)[1]
    if _O_SERIES.match(name):
        return "o200k_base"
    for prefix, encoding in _MODEL_PREFIXES:
        if name.startswith(prefix):
            return encoding
    return DEFAULT_ENCODING


def _pieces(text: str, max_chars: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    start = 0
    while len(text) - start > max_chars:
        window_end = start + max_chars
        cut = None
        # Last safe cut inside the window; search the tail only to stay linear.
        for m in _SAFE_CUT.finditer(text, max(start + 1, window_end - max_chars // 2), window_end):
            cut = m.start()
        if cut is None:
            # No word boundary in half a window (e.g. a huge base64 blob): cut anyway rather than fail.
            cut = window_end
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def _encode(text: str, encoding: str, max_piece_chars: int = _MAX_PIECE_CHARS) -> list[int]:
    enc = _encoder(encoding)
    tokens: list[int] = []
    for piece in _pieces(text, max_piece_chars):
        tokens.extend(enc.encode_ordinary(piece))
    return tokens


def count_tokens(text: str, encoding: str = DEFAULT_ENCODING) -> int:
    """Exact number of tokens ``text`` costs in ``encoding`` (special-token strings count as plain text)."""
    if not text:
        return 0
    return len(_encode(text, encoding))


def truncate_to_tokens(text: str, max_tokens: int, encoding: str = DEFAULT_ENCODING) -> str:
    """Longest prefix of ``text`` of at most ``max_tokens`` tokens, never cutting a character in half."""
    if max_tokens < 0:
        raise ValueError(f"max_tokens must be >= 0, got {max_tokens}")
    if max_tokens == 0 or not text:
        return ""
    tokens = _encode(text, encoding)
    if len(tokens) <= max_tokens:
        return text
    enc = _encoder(encoding)
    prefix = enc.decode_bytes(tokens[:max_tokens])
    # A multi-byte character split across tokens leaves a partial UTF-8 sequence at the end: drop it.
    # (Byte-level BPE round-trips, so only the tail can be incomplete.)
    return prefix.decode("utf-8", errors="ignore")
