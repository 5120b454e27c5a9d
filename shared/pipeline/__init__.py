"""The steps of the comparison and query pipelines, free of Durable Functions.

Activities (activities/) are thin adapters over these functions; the legacy endpoints run the same steps inline
(shared/pipeline/inline.py), so both paths produce the same results.
"""
