"""The comparison's offline analysis (compare.py, the offline `compare`): clause alignment by heading, text and
meaning (alignment.py, with the clause concepts of concepts.py); what kind of edit turned one version into the
other — markup, typo fixes, moved or renumbered items, or meaning, named item by item for a list (edits.py, over
the comparable form of shared/text/markup.py); cross-references resolved against each contract's numbering
(references.py); and named changes between aligned clauses (clause_changes.py: numbers, dates and durations read by
quantities.py, jurisdictions by places.py, obligations, protections, sub-clauses). Deterministic; no model calls."""
