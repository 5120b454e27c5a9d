from __future__ import annotations

import itertools

import pytest

from shared.text.segmentation import Clause, segment, segment_top_level, top_level
from shared.text.titles import normalize_title

from .conftest import sample


def assert_exact(text: str, clauses: list[Clause]) -> None:
    assert [c.index for c in clauses] == list(range(len(clauses)))
    for c in clauses:
        assert text[c.start : c.end] == c.text
        assert c.title
    for a, b in itertools.pairwise(clauses):
        assert a.end <= b.start and not text[a.end : b.start].strip()  # no text lost or shared


def test_common_paper_nda_clauses(common_paper_nda: str) -> None:
    clauses = segment(common_paper_nda)
    assert_exact(common_paper_nda, clauses)
    assert [(c.number, c.title) for c in clauses] == [
        (None, "Standard Terms"),
        ("1", "Introduction"),
        ("2", "Use and Protection of Confidential Information"),
        ("3", "Exceptions"),
        ("4", "Disclosures Required by Law"),
        ("5", "Term and Termination"),
        ("6", "Return or Destruction of Confidential Information"),
        ("7", "Proprietary Rights"),
        ("8", "Disclaimer"),
        ("9", "Governing Law and Jurisdiction"),
        ("10", "Equitable Relief"),
        ("11", "General"),
    ]
    assert {c.level for c in clauses} == {1}
    assert clauses[1].start == common_paper_nda.index("1. **Introduction**")
    assert clauses[2].text.startswith("2. **Use and Protection")
    # Inline "(a) ... (b) ... (c)" lists stay inside their clause.
    assert "(b) not disclose" in clauses[2].text and clauses[2].text.endswith("standard of care.")
    assert clauses[-1].end == len(common_paper_nda.rstrip())


def test_bold_number_nda_sample() -> None:
    text = sample("nda_mutual_standard.md")
    clauses = segment(text)
    assert_exact(text, clauses)
    assert clauses[0].title == "Mutual Non-Disclosure Agreement" and clauses[0].number is None
    assert "Northwind Analytics" in clauses[0].text  # preamble under the title heading
    assert [c.number for c in clauses[1:]] == [str(n) for n in range(1, 14)]
    assert clauses[11].title == "Governing Law and Jurisdiction"
    assert "Delaware" in clauses[11].text and "Notices" not in clauses[11].text


def test_plain_numbered_paragraphs_align_with_markdown_version() -> None:
    std = segment(sample("nda_mutual_standard.md"))
    text_b = sample("nda_mutual_variant_b.txt")
    var = segment(text_b)
    assert_exact(text_b, var)
    assert var[0].title == "Preamble" and var[0].text.startswith("MUTUAL NON-DISCLOSURE AGREEMENT")
    std_titles = {normalize_title(c.title) for c in std[1:]}
    var_titles = {normalize_title(c.title) for c in var[1:]}
    assert std_titles - var_titles == {"remedies"}  # the deleted clause, nothing else
    assert var_titles <= std_titles


def test_article_with_nested_sections_and_top_level_spans() -> None:
    text = sample("msa_standard.txt")
    clauses = segment(text)
    assert_exact(text, clauses)
    article = next(c for c in clauses if c.number == "VIII")
    assert (article.title, article.level) == ("LIMITATION OF LIABILITY", 1)
    cap = next(c for c in clauses if c.number == "8.2")
    assert (cap.title, cap.level) == ("Cap on Liability", 2)
    assert cap.text.startswith("8.2 Cap on Liability.") and cap.text.endswith("giving rise to the claim.")
    assert article.end < cap.start  # a parent's own text ends where its first child starts

    tops = top_level(clauses, text)
    assert [c.number for c in tops] == [None, "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"]
    assert_exact(text, tops)
    liability = tops[8]
    assert liability.text.startswith("ARTICLE VIII\nLIMITATION OF LIABILITY")
    assert "8.1 Exclusion" in liability.text and liability.text.endswith("wilful misconduct.")
    assert segment_top_level(text) == tops


def test_msa_variant_removed_cap_is_visible_in_sections() -> None:
    std = {normalize_title(c.title) for c in segment(sample("msa_standard.txt"))}
    var = {normalize_title(c.title) for c in segment(sample("msa_variant_a.txt"))}
    assert std - var == {"cap on liability"}
    assert var - std == {"non solicitation of personnel"}


def test_section_dash_headings() -> None:
    text = sample("commercial_lease.txt")
    clauses = segment(text)
    assert_exact(text, clauses)
    assert [(c.number, c.title) for c in clauses[1:4]] == [("1", "Premises"), ("2", "Term"), ("3", "Rent")]
    assert clauses[-1].title == "Governing Law" and clauses[-1].text.startswith("Section 14 — Governing Law")


def test_markdown_numbered_headings_with_lettered_subclauses() -> None:
    text = sample("employment_agreement.md")
    clauses = segment(text)
    assert_exact(text, clauses)
    comp = [c for c in clauses if c.number in ("3", "(a)", "(b)", "(c)")][:4]
    assert [(c.number, c.title, c.level) for c in comp] == [
        ("3", "Compensation", 1),
        ("(a)", "Base Salary", 2),
        ("(b)", "Annual Bonus", 2),
        ("(c)", "Equity", 2),
    ]
    cause = next(c for c in clauses if c.title == "Cause")
    assert "(i) conviction of a felony; (ii) fraud" in cause.text  # inline roman list not split
    tops = top_level(clauses, text)
    assert len(tops) == 12 and "(b) Severance" in tops[7].text


def test_no_headings_is_one_clause() -> None:
    text = "The parties agree that the goods will be delivered on 2. March 2025 to the buyer.\nNo other terms."
    clauses = segment(text)
    assert len(clauses) == 1
    assert (clauses[0].start, clauses[0].end, clauses[0].level) == (0, len(text), 1)
    assert clauses[0].title.startswith("The parties agree")
    assert segment("") == [] and segment(" \n\n ") == []


def test_stray_numbers_in_bodies_do_not_open_clauses() -> None:
    text = (
        "1. Payment. The Buyer pays on delivery, being the date set out in\n"
        "2. March 2025 in the order form, or such other date as agreed.\n\n"
        "2. Delivery. Delivery is made at the Seller's premises.\n\n"
        "1999. was the year the Seller was founded.\n"
    )
    clauses = segment(text)
    assert [(c.number, c.title) for c in clauses] == [("1", "Payment"), ("2", "Delivery")]


def test_crlf_tabs_and_non_breaking_spaces() -> None:
    text = (
        "ARTICLE\u00a0I\r\nDEFINITIONS\r\n\r\n1.1\tTerms.\u00a0Words mean things.\r\n\r\n"
        "Section\u00a02 —\tPrice\r\nTen."
    )
    clauses = segment(text)
    assert_exact(text, clauses)
    assert [(c.number, c.title, c.level) for c in clauses] == [
        ("I", "DEFINITIONS", 1),
        ("1.1", "Terms", 2),
        ("2", "Price", 2),
    ]
    assert clauses[0].text == "ARTICLE\u00a0I\r\nDEFINITIONS"


@pytest.mark.parametrize(
    ("line", "number", "title"),
    [
        ("SECTION 4: INDEMNIFICATION", "4", "INDEMNIFICATION"),
        ("Section 4. Indemnification", "4", "Indemnification"),
        ("Article 3 - Term", "3", "Term"),
        ("## 4. Fees", "4", "Fees"),
        ("### Fees and Expenses", None, "Fees and Expenses"),
        ("**4. Fees.** Customer pays.", "4", "Fees"),
        ("1. FEES. Customer pays.", "1", "FEES"),
    ],
)
def test_heading_styles(line: str, number: str | None, title: str) -> None:
    clauses = segment("Intro text.\n\n" + line + "\n\nBody text.")
    assert clauses[0].title == "Preamble"
    assert (clauses[1].number, clauses[1].title) == (number, title)


def test_section_cross_reference_at_line_start_is_not_a_heading() -> None:
    text = "Section 1 — Term\nThe term is set out in\nSection 3 of the Order Form and renews yearly."
    assert [c.number for c in segment(text)] == ["1"]


def test_normalize_title() -> None:
    assert normalize_title("ARTICLE VIII - LIMITATION OF LIABILITY") == "limitation of liability"
    assert normalize_title("1. **Governing Law & Jurisdiction**.") == "governing law and jurisdiction"
    assert normalize_title("## 3.2  Payment   Terms:") == "payment terms"
    assert normalize_title("Section 2 — Term") == "term"
    assert normalize_title("(a) Base Salary") == "base salary"
    assert normalize_title("Party\u2019s Obligations") == normalize_title("Party's obligations")


def test_a_markdown_heading_with_a_long_run_of_spaces_is_read_in_linear_time() -> None:
    """The heading regex backtracked through every run of spaces in the line: this line took hours."""
    import time

    from shared.text.headings import markdown_heading

    started = time.monotonic()
    text = "# Title" + " " * 500_000 + "end\n\nBody text."
    clauses = segment(text)
    assert time.monotonic() - started < 5
    assert clauses[0].title.startswith("Title") and clauses[-1].text.endswith("Body text.")
    assert markdown_heading("## Fees ##  ") == (2, "Fees")
    assert markdown_heading("# C# and F#") == (1, "C# and F#")
    assert markdown_heading("# ##") == (1, "##")
    assert markdown_heading("#No space") is None and markdown_heading("####### seven") is None


def test_front_matter_belongs_to_the_preamble() -> None:
    text = "---\ntitle: Terms\nversions:\n  fpt: '*'\n---\n\nWelcome.\n\n## Fees\n\nPay.\n\n## Term\n\nOne year."
    clauses = segment(text)
    assert [c.title for c in clauses] == ["Preamble", "Fees", "Term"]
    assert clauses[0].text.startswith("---\ntitle: Terms") and clauses[0].text.endswith("Welcome.")


def test_setext_headings() -> None:
    text = "Terms\n=====\n\nIntro.\n\n1\\. Who We Are\n-------------\n\nUs.\n\n2\\. Fees\n-------\n\nPay."
    clauses = segment(text)
    assert [(c.number, c.title, c.level) for c in clauses] == [
        (None, "Terms", 1),  # a lone document title is a sibling of the sections, as with "#"
        ("1", "Who We Are", 1),
        ("2", "Fees", 1),
    ]


def test_lettered_articles_with_numbered_sections_under_them() -> None:
    text = (
        "### A. Definitions\n\nWords.\n\n### B. Account Terms\n\nShort version.\n\n"
        "#### 5. Requirements\n\nBe human.\n\n#### 6. Security\n\nKeep it safe.\n\n### C. Acceptable Use\n\nBe nice."
    )
    clauses = segment(text)
    assert [(c.number, c.title, c.level) for c in clauses] == [
        ("A", "Definitions", 1),
        ("B", "Account Terms", 1),
        ("5", "Requirements", 2),
        ("6", "Security", 2),
        ("C", "Acceptable Use", 1),
    ]
    units = top_level(clauses, text)
    assert [u.title for u in units] == [
        "Definitions",
        "Account Terms",
        "Account Terms > Requirements",
        "Account Terms > Security",
        "Acceptable Use",
    ]
    assert units[1].text == "### B. Account Terms\n\nShort version."
    assert units[3].text == "#### 6. Security\n\nKeep it safe."


def test_numbered_bold_headings_with_trailing_period() -> None:
    text = "Intro.\n\n1. **Term and Termination**. This runs a year.\n\n2. **Fees**. Pay monthly."
    assert [(c.number, c.title) for c in segment(text)] == [
        (None, "Preamble"),
        ("1", "Term and Termination"),
        ("2", "Fees"),
    ]


def test_in_a_markdown_document_numbered_list_items_are_not_clauses() -> None:
    text = (
        "# Terms\n\nIntro.\n\n## Account Terms\n\n1. You are responsible for your account.\n"
        "2. You must be a human.\n\n## Payment\n\n1. Fees are due monthly."
    )
    clauses = segment(text)
    assert [c.title for c in clauses] == ["Terms", "Account Terms", "Payment"]
    assert clauses[1].text.endswith("2. You must be a human.")


def test_summary_table_before_the_terms_is_its_own_clause() -> None:
    text = (
        "## Summary\n\n| Section | What |\n| --- | --- |\n| [A. Fees](#a-fees) | You pay. |\n\n"
        "## A. Fees\n\nCustomer pays monthly."
    )
    clauses = segment(text)
    assert [(c.number, c.title) for c in clauses] == [(None, "Summary"), ("A", "Fees")]
    assert "| [A. Fees](#a-fees) |" in clauses[0].text


def test_nested_list_items_with_html_titles_are_sections() -> None:
    text = (
        "# Agreement\n\n"
        '1. <span class="header_2">Service</span>\n'
        '    1. <span class="header_3">Access.</span>  Customer may use it.\n'
        '    2. <span class="header_3">Support.</span>  Provider helps.\n'
        "        a. Except as permitted, Customer will not copy it.\n\n"
        '2. <span class="header_2">Fees</span>\n'
        '    1. <span class="header_3">Invoicing.</span>  Monthly.\n'
    )
    clauses = segment(text)
    assert [(c.number, c.title, c.level) for c in clauses] == [
        (None, "Agreement", 1),
        ("1", "Service", 1),
        ("1.1", "Access", 2),
        ("1.2", "Support", 2),
        ("2", "Fees", 1),
        ("2.1", "Invoicing", 2),
    ]
    units = top_level(clauses, text)
    assert [u.title for u in units][1:4] == ["Service", "Service > Access", "Service > Support"]
    assert units[3].text.endswith("Customer will not copy it.")
