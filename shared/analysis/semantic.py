"""Meaning, not just words: a small sentence-embedding model that runs offline.

WordLlama (``wordllama`` on PyPI, MIT) ships its 256-dimension token embeddings (16 MB, float16) and its tokenizer
inside the wheel: a text's vector is the mean of its tokens' vectors, so "Can they lock us out?" lands near
"Provider may suspend Customer's access" without sharing a word. NumPy only; milliseconds per clause.

Loading never touches the network: the package's loader looks for the tokenizer under ``tokenizer/`` while the
wheel ships ``tokenizers/``, and falls back to downloading from Hugging Face; its file resolver, pointed at the
package directory as its cache with ``disable_download=True``, finds the packaged files or fails. The model is
loaded once per process (``semantic_model()``, thread-safe). The import also calls ``logging.basicConfig``, which
would change the app's logging: the root logger is put back as it was.

Memory is bounded: the weights stay float16 (16 MB), and texts are pooled without padding, in chunks of at most
CHUNK_TOKENS tokens (a 5 MB working set however long the clause).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from shared.analysis.offline.similarity import STOPWORDS
from shared.singletons import ProcessSingleton

CONFIG = "l2_supercat"
DIMENSIONS = 256
CHUNK_TOKENS = 4096
# Characters of a text embedded: a clause's opening carries its topic; very long texts are cut here.
MAX_CHARS = 20_000


_CONTENT_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def content_words(text: str, stop: frozenset[str] = frozenset()) -> str:
    """The words that carry meaning, for embedding: a mean of token vectors drowns in "the" and "of"."""
    return " ".join(w for w in _CONTENT_WORD.findall(text) if (low := w.lower()) not in STOPWORDS and low not in stop)


class SemanticModel:
    """Unit-length sentence vectors: ``embed(texts) @ embed(others).T`` is their cosine similarity."""

    def __init__(self, embedding: np.ndarray, tokenizer: Any) -> None:
        self._embedding = embedding
        self._tokenizer = tokenizer
        self.dimensions = int(embedding.shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text (zeros for a text without tokens)."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch([t[:MAX_CHARS] for t in texts], add_special_tokens=False)
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        start = 0
        while start < len(ids):
            end, tokens = start, 0
            while end < len(ids) and (end == start or tokens + len(ids[end]) <= CHUNK_TOKENS):
                tokens += len(ids[end])
                end += 1
            self._pool(ids[start:end], out[start:end])
            start = end
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def _pool(self, ids: list[np.ndarray], out: np.ndarray) -> None:
        lengths = np.array([len(i) for i in ids])
        if not lengths.sum():
            return
        vectors = self._embedding[np.concatenate(ids)].astype(np.float32)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        present = lengths > 0
        sums = np.add.reduceat(vectors, starts[present], axis=0)
        out[present] = sums / lengths[present, None]


def _load() -> SemanticModel:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama import WordLlama
    finally:  # wordllama configures the root logger on import: not its call to make
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    package = Path(wordllama.__file__).parent
    uri = getattr(WordLlama._wordllama, CONFIG)
    # The package's own resolver, pointed at the wheel's files, downloads disabled: packaged files or an error.
    files = {
        kind: WordLlama.resolve_file(CONFIG, uri, DIMENSIONS, False, kind, package, disable_download=True)
        for kind in ("weights", "tokenizer")
    }
    # Read directly rather than through WordLlama.load, which keeps a float32 copy (32 MB) of the float16 weights.
    with safe_open(str(files["weights"]), framework="np") as f:
        embedding = np.ascontiguousarray(f.get_tensor("embedding.weight"), dtype=np.float16)
    tokenizer = Tokenizer.from_file(str(files["tokenizer"]))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return SemanticModel(embedding, tokenizer)


_model: ProcessSingleton[SemanticModel] = ProcessSingleton(_load)


def semantic_model() -> SemanticModel:
    """The process's model, loaded on first use (about 0.3 s) from the files in the wheel."""
    return _model.get()
