"""The offline analyzer (analyzer.py: routes each workflow's task to its offline analysis) and the text toolkit
every offline analysis shares: words, stems, sentences and similarity (similarity.py), clause headings in a
comparable form (headings.py). Deterministic; no model calls."""
