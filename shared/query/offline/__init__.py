"""The query's offline answerer: extractive answers with verbatim citations, no model calls.

In order: the question is split into its parts and each read as concepts (question.py, with the question
vocabulary in vocabulary.py); each contract's clauses are ranked by the hybrid ranking (shared/analysis/ranking.py)
and kept when they carry enough of the part (answering.py); the sentences that carry it are quoted verbatim
(quotes.py) and the fact the best one states is put in a few words (facts.py); the answers of the parts, for each
contract and over all, are assembled (answer.py). "Not addressed" means no clause of the contract is a plausible
match.
"""
