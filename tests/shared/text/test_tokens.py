from __future__ import annotations

import pytest

from shared.text import tokens
from shared.text.tokens import UnsupportedEncodingError, count_tokens, encoding_for_model, truncate_to_tokens

from .conftest import sample


def test_known_counts_match_tiktoken() -> None:
    # Reference values from tiktoken: "hello world" -> [24912, 2375] (o200k), [15339, 1917] (cl100k).
    assert count_tokens("hello world") == 2
    assert count_tokens("hello world", "cl100k_base") == 2
    assert count_tokens("") == 0
    # Encodings differ on real text, so the encoding argument is honoured.
    nda = sample("nda_mutual_standard.md")
    assert count_tokens(nda, "o200k_base") != count_tokens(nda, "cl100k_base")


def test_special_token_text_in_a_contract_is_counted_not_rejected() -> None:
    assert count_tokens("<|endoftext|>") > 1


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o1", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("GPT-3.5-Turbo", "cl100k_base"),
        ("my-azure-deployment", "o200k_base"),
    ],
)
def test_encoding_for_model(model: str, encoding: str) -> None:
    assert encoding_for_model(model) == encoding


def test_unknown_encoding_is_named_in_error() -> None:
    with pytest.raises(UnsupportedEncodingError, match="p99k_base"):
        count_tokens("x", "p99k_base")


def test_truncate_keeps_a_prefix_within_budget() -> None:
    text = sample("msa_standard.txt")
    cut = truncate_to_tokens(text, 100)
    assert text.startswith(cut)
    assert count_tokens(cut) <= 100
    assert count_tokens(cut) >= 95  # uses the budget, not a crude char estimate
    assert truncate_to_tokens(text, 10**6) == text
    assert truncate_to_tokens(text, 0) == ""
    with pytest.raises(ValueError, match="-1"):
        truncate_to_tokens(text, -1)


def test_truncate_never_splits_a_character() -> None:
    text = "Governing law: 東京地方裁判所 " * 5 + "§ 2 — 🚀 résumé"
    for budget in range(1, count_tokens(text)):
        cut = truncate_to_tokens(text, budget)
        assert text.startswith(cut)
        assert count_tokens(cut) <= budget


def test_long_text_is_counted_exactly_in_pieces() -> None:
    # Texts over bpe-openai's 1M-char limit are encoded in pieces; force small pieces to prove the cut points
    # do not change the count.
    text = "\n\n".join(sample(n) for n in ("nda_mutual_standard.md", "msa_standard.txt", "commercial_lease.txt"))
    whole = len(tokens._encode(text, "o200k_base"))
    assert len(tokens._encode(text, "o200k_base", max_piece_chars=2_000)) == whole
    assert len(tokens._encode(text, "cl100k_base", max_piece_chars=3_000)) == count_tokens(text, "cl100k_base")


def test_text_over_a_million_characters() -> None:
    text = sample("msa_standard.txt") * 150  # ~1.1M chars
    assert len(text) > 1_000_000
    # The file ends with a newline and starts with a letter, so copies tokenize independently.
    assert count_tokens(text) == 150 * count_tokens(sample("msa_standard.txt"))


@pytest.mark.parametrize(
    ("text", "at_least"),
    [
        ("".join(chr(ord("a") + (i * 7919) % 26) for i in range(600_000)), 200_001),  # ~0.52 tokens a letter
        ("\U0001f600" * 300_000, 300_000),  # one token or more per character
    ],
)
def test_dense_text_is_counted_whatever_its_tokens_per_character(text: str, at_least: int) -> None:
    """bpe-openai refuses one piece that makes over 200,000 tokens: 500,000 random letters made 260,000, and the
    upload answered 500. Pieces are small enough now that no text can make that many."""
    assert count_tokens(text) >= at_least
