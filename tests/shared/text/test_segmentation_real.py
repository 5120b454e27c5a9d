"""Segmentation of real agreements (tests/data/real/): every file comes out as a lawyer reads it.

The reference is tests/data_real/outline.py, written independently for the evaluation set: every headed section
of the file (Markdown headings at any depth, setext headings, Common Paper's numbered header spans), front matter
in the preamble, bold run-in titles and list items inside their section.
"""

from __future__ import annotations

import itertools

import pytest

from shared.text.segmentation import PATH_SEPARATOR, Clause, segment, segment_top_level
from tests.data_real.outline import normalize_title, outline
from tests.data_real.realset import CONTRACTS, load_sources, read

FILES = sorted(str(p.relative_to(CONTRACTS)) for p in CONTRACTS.glob("*/*.md"))


def _parents(clauses: list[Clause]) -> list[str | None]:
    stack: list[Clause] = []
    out: list[str | None] = []
    for c in clauses:
        while stack and stack[-1].level >= c.level:
            stack.pop()
        out.append(normalize_title(stack[-1].title) if stack else None)
        stack.append(c)
    return out


def test_every_agreement_revision_is_there() -> None:
    assert sorted(source.file for source in load_sources()) == FILES


@pytest.mark.parametrize("file", FILES)
def test_sections_are_the_documents_own(file: str) -> None:
    text = read(file)
    clauses = segment(text)
    reference = outline(text)
    # Same headings (a nested list item's clause starts at its number, after the indentation) ...
    starts = [s.start + len(text[s.start :]) - len(text[s.start :].lstrip()) for s in reference]
    assert [c.start for c in clauses] == starts
    # ... with the same plain titles (no spans, emphasis, escapes or numbering) ...
    assert [normalize_title(c.title) for c in clauses] == [normalize_title(s.title) for s in reference]
    assert all("<" not in c.title and "*" not in c.title and "\\" not in c.title for c in clauses)
    # ... nested as the document nests them.
    assert _parents(clauses) == [normalize_title(s.parent) if s.parent else None for s in reference]
    for c in clauses:
        assert text[c.start : c.end] == c.text
    for a, b in itertools.pairwise(clauses):
        assert a.end <= b.start and not text[a.end : b.start].strip()


def test_github_terms_front_matter_summary_table_and_lettered_articles() -> None:
    text = read("github-tos/2025-09-29_a4234fc.md")
    clauses = segment(text)
    preamble, summary = clauses[0], clauses[1]
    assert preamble.title == "Preamble" and preamble.text.startswith("---\ntitle: GitHub Terms of Service")
    assert "Thank you for using GitHub!" in preamble.text
    assert summary.title == "Summary" and "| [B. Account Terms](#b-account-terms) |" in summary.text
    account = next(c for c in clauses if c.title == "Account Terms")
    assert (account.number, account.level) == ("B", 1)
    controls = clauses[clauses.index(account) + 1]
    assert (controls.number, controls.title, controls.level) == ("1", "Account Controls", 2)
    definitions = next(c for c in clauses if c.title == "Definitions")
    assert "1. The “Agreement” refers" in definitions.text  # a numbered definitions list is one section


def test_github_terms_analysis_units_are_the_sections() -> None:
    units = segment_top_level(read("github-tos/2025-09-29_a4234fc.md"))
    titles = [u.title for u in units]
    assert titles[:6] == ["Preamble", "Summary", "The GitHub Terms of Service", "Definitions", "Account Terms",
                          f"Account Terms{PATH_SEPARATOR}Account Controls"]  # fmt: skip
    access = units[titles.index(f"Private Repositories{PATH_SEPARATOR}Access")]
    assert access.text.startswith("### 3. Access") and "Employees of GitHub" not in access.title
    assert units[titles.index("Account Terms")].text.startswith("## B. Account Terms\n\n**Short version:**")
    assert not any("### " in u.text for u in units if PATH_SEPARATOR not in u.title)


def test_common_paper_nested_list_headings_in_html_spans() -> None:
    text = read("commonpaper-csa/2024-11-04_396425a.md")
    clauses = segment(text)
    service = next(c for c in clauses if c.title == "Service")
    access = clauses[clauses.index(service) + 1]
    assert (service.number, service.level) == ("1", 1)
    assert (access.number, access.title, access.level) == ("1.1", "Access and Use", 2)
    assert access.text.startswith('1. <span class="header_3" id="1.1">Access and Use.</span>')
    liability = [c.number for c in clauses if c.number and c.number.startswith("8.")]
    assert liability == ["8.1", "8.2", "8.3", "8.4"]
    units = segment_top_level(text)
    assert f"Limitation of Liability{PATH_SEPARATOR}Exceptions" in [u.title for u in units]


def test_wordpress_setext_headings_with_escaped_numbers() -> None:
    clauses = segment(read("wordpress-tos/2026-04-13_56f9d0b.md"))
    assert [c.title for c in clauses[:4]] == ["Terms of Service", "The Gist", "Terms of Service", "Who\u2019s Who"]
    assert clauses[3].number == "1" and clauses[3].text.startswith("1\\. Who\u2019s Who\n----")
    fees = next(c for c in clauses if c.title == "Automattic Fees")
    assert (fees.number, fees.level) == ("a", 2)


def test_basecamp_numbered_lists_stay_in_their_section() -> None:
    clauses = segment(read("basecamp-terms/2023-01-10_9141097.md"))
    account = next(c for c in clauses if c.title == "Account Terms")
    assert "1. You are responsible for maintaining the security" in account.text
    assert "4. You must be a human." in account.text
    assert not any(c.title.startswith("You are responsible") for c in clauses)
