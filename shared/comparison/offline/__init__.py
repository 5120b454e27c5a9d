"""The comparison's offline analysis (compare.py, the offline `compare`): clause alignment by heading and text
similarity (alignment.py, with the clause concepts of concepts.py), and named changes between aligned clauses
(changes.py: numbers and durations read by quantities.py, jurisdictions by places.py, obligations, protections,
sub-clauses). Deterministic; no model calls."""
