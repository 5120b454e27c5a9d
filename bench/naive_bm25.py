"""The naive baseline the query benches compare against: plain BM25 (bm25s) over a contract's clauses for the
question's stemmed words, with none of the ranking's concepts, related terms, embeddings or rarity weighting."""

from __future__ import annotations

import bm25s
import numpy as np

from shared.analysis.offline.similarity import terms
from shared.contracts.analysis import ContractForAnalysis


def bm25_top(question: str, contract: ContractForAnalysis, k: int) -> list[int]:
    """Indexes of the contract's `k` best clauses by BM25 that share a word with the question, best first (ties in
    document order); empty when none does."""
    asked = list(dict.fromkeys(terms(question)))
    index = bm25s.BM25()
    index.index([terms(c.title + " " + c.text) or [""] for c in contract.clauses], show_progress=False)
    known = [t for t in asked if t in index.vocab_dict]
    scores = index.get_scores(known) if known else np.zeros(len(contract.clauses))
    return [int(i) for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > 0]
