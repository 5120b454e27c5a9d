"""The offline analyzer (analyzer.py: routes each workflow's task to its offline analysis) and the text toolkit
every offline analysis shares: words, stems, sentences and similarity (similarity.py), clause headings in a
comparable form (comparable_headings.py). The clause ranking (shared/analysis/ranking.py) and the semantic model it
reads meaning with (shared/analysis/semantic.py) sit beside it. Deterministic; no model calls."""
