"""Markup is not meaning: two copies that differ only in markup have one comparable form, and every comparable
word leads back to the text as written."""

from __future__ import annotations

import pytest

from shared.text.markup import comparable, comparable_words


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # Common Paper's deep links: an id added to every heading span.
        (
            '1. <span class="header_2">Service</span>',
            '1. <span class="header_2" id="1">Service</span>',
        ),
        ("the <b>Customer</b>&rsquo;s data &amp; content", "the Customer\u2019s data & content"),
        ("**Short version:** _We use these terms._", "Short version: We use these terms."),
        ("see [our Privacy Statement](https://example.com/privacy)", "see our Privacy Statement"),
        ("see [our Privacy Statement](/site-policy/a)", "see [our Privacy Statement](/site-policy/b)"),
        ("## B. Account Terms", "### Account Terms"),
        ("1\\. Who\u2019s Who\n-------------", "Who's Who"),
        ("“Content” — as defined", '"Content" - as defined'),
        ("within  thirty\n(30)\u00a0days", "within thirty (30) days"),
        ("* Users.\n* Organizations.", "- Users.\n- Organizations."),
        ("3. Refunds are due.\n4. Taxes are extra.", "4. Refunds are due.\n5. Taxes are extra."),
        ("(a) first;\n(b) second", "(i) first;\n(ii) second"),
        ("> quoted text", "quoted text"),
        ("| Section | Summary |\n| --- | --- |\n| A | Terms |", "Section Summary A Terms"),
        ("<!-- markdownlint-disable -->\nText", "Text"),
        ("Wait…", "Wait..."),
    ],
)
def test_markup_only_differences_compare_equal(a: str, b: str) -> None:
    assert comparable(a) == comparable(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("thirty (30) days", "sixty (60) days"),
        ("the Customer shall pay", "the Customer may pay"),
        ("Account", "account"),  # letter case is text: a caller that ignores it lower-cases
        ("paid, in full", "paid in full"),  # punctuation is text too
        ("Section 3.2 applies", "Section 3.3 applies"),  # a cross-reference is not list numbering
    ],
)
def test_text_differences_stay_visible(a: str, b: str) -> None:
    assert comparable(a) != comparable(b)


def test_the_comparable_form_is_plain_text() -> None:
    text = (
        '    2. <span class="header_3" id="4.2">Invoicing.</span>  For a <span class="orderform_link">Payment '
        "Process</span> with invoicing, see [the **Order Form**](#order-form)."
    )
    assert comparable(text) == "Invoicing. For a Payment Process with invoicing, see the Order Form."
    assert comparable("") == "" and comparable(" \n\t ") == ""


def test_words_lead_back_to_the_verbatim_text() -> None:
    text = '1. <span class="x">Customer\u2019s</span> **fees** &amp; [taxes](https://t.example) — “due”'
    words = comparable_words(text)
    assert [w.text for w in words] == ["Customer's", "fees", "taxes", "due"]
    assert [text[w.start : w.end] for w in words] == ["Customer\u2019s", "fees", "taxes", "due"]
    assert all(0 <= w.start < w.end <= len(text) for w in words)


def test_word_offsets_survive_entities_and_escapes_inside_words() -> None:
    text = "the Customer&rsquo;s 1\\. item and snake_case"
    words = comparable_words(text)
    assert [w.text for w in words] == ["the", "Customer's", "1", "item", "and", "snake", "case"]
    customer = words[1]
    assert text[customer.start : customer.end] == "Customer&rsquo;s"
