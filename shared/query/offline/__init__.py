"""The query's offline answerer: extractive answers with verbatim citations, no model calls.

In order: the question is read as concepts (question.py, with the question vocabulary in vocabulary.py); each
contract's clauses are ranked by BM25 and kept when they carry enough of the question (ranking.py); the sentences
that carry it are quoted verbatim (quotes.py); the answers of a part, and of several parts, are assembled
(answer.py). "Not addressed" means no clause of the contract is a plausible match.
"""
