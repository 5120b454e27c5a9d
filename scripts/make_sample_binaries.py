"""Generate the binary sample contracts used by extraction tests.

    python scripts/make_sample_binaries.py

- sample_data/commercial_lease.docx: the lease from commercial_lease.txt with Word structure that plain
  ``paragraph.text`` loses or hides: a Title, ``Heading 2`` section headings, a rent table, and a
  Word auto-numbered ("List Number") list of Tenant deliverables.
- sample_data/nda_mutual_standard.pdf: the mutual NDA from nda_mutual_standard.md, typeset with fpdf2
  (core Helvetica font, so text is Latin-1: em dashes become hyphens).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from docx import Document
from fpdf import FPDF

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"
FIXED_DATE = dt.datetime(2025, 1, 15, 12, 0, tzinfo=dt.UTC)  # stable metadata between runs

_SECTION = re.compile(r"^Section \d+ — .+$")


def make_docx() -> Path:
    lines = (SAMPLES / "commercial_lease.txt").read_text(encoding="utf-8").split("\n")
    doc = Document()
    doc.core_properties.created = FIXED_DATE.replace(tzinfo=None)
    doc.core_properties.modified = FIXED_DATE.replace(tzinfo=None)
    doc.core_properties.title = "Commercial Lease Agreement"
    doc.add_paragraph(lines[0], style="Title")
    for line in lines[1:]:
        if not line.strip():
            continue
        if _SECTION.match(line):
            doc.add_heading(line, level=2)
        else:
            doc.add_paragraph(line)
        if line.startswith("Tenant shall pay base rent"):
            table = doc.add_table(rows=1, cols=2)
            table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Lease year", "Monthly base rent"
            for year, rent in (("1", "$6,800.00"), ("2", "$7,004.00"), ("3", "$7,214.12")):
                cells = table.add_row().cells
                cells[0].text, cells[1].text = year, rent
        if line.startswith("Tenant shall maintain commercial general liability"):
            doc.add_paragraph("Tenant shall deliver to Landlord before taking possession:")
            for item in ("certificates of insurance;", "a copy of its roasting permit;", "its emergency contacts."):
                doc.add_paragraph(item, style="List Number")
    out = SAMPLES / "commercial_lease.docx"
    doc.save(str(out))
    return out


def make_pdf() -> Path:
    text = (SAMPLES / "nda_mutual_standard.md").read_text(encoding="utf-8")
    pdf = FPDF(format="Letter")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title("Mutual Non-Disclosure Agreement")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    for block in text.split("\n\n"):
        block = block.replace("—", "-").strip()
        if block.startswith("# "):
            pdf.set_font("Helvetica", "B", 15)
            pdf.multi_cell(0, 9, block[2:], align="C", new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("Helvetica", "", 10.5)
            # markdown=True renders **Title** in bold and drops the asterisks, as a typeset contract would.
            pdf.multi_cell(0, 5.5, block, markdown=True, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
    out = SAMPLES / "nda_mutual_standard.pdf"
    pdf.output(str(out))
    return out


if __name__ == "__main__":
    for path in (make_docx(), make_pdf()):
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")
