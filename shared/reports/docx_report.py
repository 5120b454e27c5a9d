"""A result as a Word document a lawyer can forward (python-docx, the document built in memory).

Comparison: title, date, standard and compared contracts, a summary table (clauses matched / modified / missing /
added and high-severity findings per contract) and the high-severity list, then per contract each finding under its
heading with its severity, the redline as Word formatting (insertions underlined, deletions struck through, each
also coloured) and the explanation; unchanged clauses are listed by title. Query: the question, the answer and its
citations. Contract text only ever goes in as run text, so it can carry no Word structure.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_UNDERLINE
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph

from shared.comparison.models import ClauseFinding, ComparisonResult, RedlineRun
from shared.query.models import QueryResult
from shared.reports.content import (
    LEGEND,
    STATUSES,
    ReportContext,
    differences,
    finding_heading,
    high_severity,
    join_titles,
    matched,
    report_date,
    standard_title,
    tally,
)

INSERT_COLOUR = RGBColor(0x1A, 0x4F, 0x9C)  # blue, as Word's Compare shows insertions (never the only mark)
DELETE_COLOUR = RGBColor(0xB0, 0x1E, 0x1E)  # red
MUTED = RGBColor(0x55, 0x5B, 0x66)
# Characters XML 1.0 cannot hold (python-docx would refuse the whole document for one of them in a contract).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _document(ctx: ReportContext, kind: str) -> DocxDocument:
    doc = Document()
    doc.core_properties.title = _text(ctx.title)
    doc.core_properties.subject = kind
    doc.styles["Normal"].font.size = Pt(10.5)
    doc.add_heading(_text(ctx.title), level=0)
    meta = doc.add_paragraph(style="Subtitle")
    meta.add_run(f"{kind} · {report_date(ctx.analysed_at)}")
    return doc


def _labelled(doc: DocxDocument, label: str, value: str) -> Paragraph:
    p = doc.add_paragraph()
    p.add_run(f"{label}: ").bold = True
    p.add_run(_text(value))
    return p


def add_redline(paragraph: Paragraph, runs: Iterable[RedlineRun]) -> None:
    """One Word run per redline run: insertions underlined, deletions struck through, both coloured too."""
    for part in runs:
        run = paragraph.add_run(_text(part.text))
        if part.op == "insert":
            run.font.underline = WD_UNDERLINE.SINGLE
            run.font.color.rgb = INSERT_COLOUR
        elif part.op == "delete":
            run.font.strike = True
            run.font.color.rgb = DELETE_COLOUR


def _bytes(doc: DocxDocument) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- comparison ---------------------------------------------------------------------------------------------------


def comparison_docx(result: ComparisonResult, ctx: ReportContext) -> bytes:
    doc = _document(ctx, "Contract comparison")
    _labelled(doc, "Standard contract", standard_title(result, ctx.contract_titles))
    _labelled(doc, "Compared contracts", join_titles([c.contract_title for c in result.comparisons]) or "none")
    _labelled(doc, "Analysed by", f"{result.model} (automated review: check each finding against the contracts)")

    doc.add_heading("Summary", level=1)
    table = doc.add_table(rows=1, cols=6)
    table.style = "Light Grid Accent 1"
    for cell, label in zip(
        table.rows[0].cells, ("Contract", "Matched", "Modified", "Missing", "Added", "High severity"), strict=True
    ):
        cell.text = label
    for comparison in result.comparisons:
        counts = tally(comparison)
        cells = table.add_row().cells
        cells[0].text = _text(comparison.contract_title)
        for cell, key in zip(cells[1:], (*STATUSES, "high"), strict=True):
            cell.text = str(counts[key])

    doc.add_heading("High-severity findings", level=2)
    high = high_severity(result)
    if not high:
        doc.add_paragraph("None.")
    for item in high:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(_text(f"{item.contract} — {item.finding.title}")).bold = True
        p.add_run(_text(f": {item.finding.status}. {item.finding.explanation}"))

    legend = doc.add_paragraph()
    legend.add_run("How to read the changes: ").italic = True
    legend.add_run(LEGEND).italic = True

    for comparison in result.comparisons:
        doc.add_heading(_text(comparison.contract_title), level=1)
        if comparison.summary:
            doc.add_paragraph(_text(comparison.summary))
        for finding in differences(comparison):
            _finding(doc, finding)
        same = matched(comparison)
        if same:
            p = doc.add_paragraph()
            p.add_run(f"Unchanged clauses ({len(same)}): ").bold = True
            p.add_run(_text("; ".join(f.title for f in same)))
    return _bytes(doc)


def _finding(doc: DocxDocument, finding: ClauseFinding) -> None:
    doc.add_heading(_text(finding_heading(finding)), level=2)
    if finding.status == "modified" and finding.redline:
        add_redline(doc.add_paragraph(), finding.redline)
    elif finding.status == "modified":  # no redline (an excerpt missing): both texts as they are
        _quote(doc, "Standard", finding.standard_excerpt)
        _quote(doc, "This contract", finding.compared_excerpt)
    elif finding.status == "missing":
        label = doc.add_paragraph()
        label.add_run("In the standard, not in this contract:").italic = True
        add_redline(doc.add_paragraph(), [RedlineRun(op="delete", text=finding.standard_excerpt or finding.title)])
    elif finding.status == "added":
        label = doc.add_paragraph()
        label.add_run("In this contract, not in the standard:").italic = True
        add_redline(doc.add_paragraph(), [RedlineRun(op="insert", text=finding.compared_excerpt or finding.title)])
    if finding.explanation:
        _labelled(doc, "Explanation", finding.explanation)


def _quote(doc: DocxDocument, label: str, text: str) -> None:
    p = doc.add_paragraph()
    p.add_run(f"{label}: ").bold = True
    p.add_run(_text(text) or "—")


# --- query --------------------------------------------------------------------------------------------------------


def query_docx(result: QueryResult, ctx: ReportContext) -> bytes:
    doc = _document(ctx, "Question and answer")
    titles = {p.contract_id: p.contract_title for p in result.per_contract}
    doc.add_heading("Question", level=1)
    doc.add_paragraph(_text(result.question))
    doc.add_heading("Answer", level=1)
    doc.add_paragraph(_text(result.answer))
    doc.add_heading(f"Citations ({len(result.citations)})", level=1)
    if not result.citations:
        doc.add_paragraph("The answer cites no passage.")
    for citation in result.citations:
        p = doc.add_paragraph(style="List Number")
        source = titles.get(citation.contract_id) or ctx.contract(citation.contract_id)
        p.add_run(_text(source)).bold = True
        if citation.clause_title:
            p.add_run(_text(f", {citation.clause_title}"))
        quote = doc.add_paragraph(style="Quote")
        quote.add_run(_text(f"“{citation.quote}”"))
    if result.per_contract:
        doc.add_heading("Answers per contract", level=1)
        for answer in result.per_contract:
            p = doc.add_paragraph()
            p.add_run(_text(answer.contract_title)).bold = True
            if not answer.relevant:
                note = p.add_run(" (not relevant)")
                note.italic = True
                note.font.color.rgb = MUTED
            doc.add_paragraph(_text(answer.answer))
    _labelled(doc, "Analysed by", f"{result.model} (automated review: check the citations against the contracts)")
    return _bytes(doc)
