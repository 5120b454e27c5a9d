"""GET /api/results/{result_id}/report.docx and report.md: a report a lawyer can forward, owner-checked like the
result. The Word document is opened with python-docx: its structure, and the run formatting of a known redline
(insertions underlined, deletions struck through)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from urllib.parse import unquote

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.text.paragraph import Paragraph

from shared.analysis.factory import get_analyzer
from shared.comparison.inline import run_comparison_inline
from shared.comparison.request import ComparisonJobRequest
from shared.jobs.models import JobType
from shared.jobs.results import AnalysisResult
from shared.query.models import Citation, PerContractAnswer, QueryResult
from shared.storage.base import Repositories
from tests.api.conftest import SAMPLE_DATA, Api, FakeDurableClient, upload
from tests.api.test_openapi import assert_described, document

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
WHEN = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


async def comparison_result(api: Api, repos: Repositories) -> tuple[str, str]:
    """The NDA standard against variant A, submitted through the API and compared by the offline analyzer."""
    standard = await upload(api, "NDA Mutual Standard", (SAMPLE_DATA / "nda_mutual_standard.md").read_text())
    variant = await upload(api, "NDA Variant A", (SAMPLE_DATA / "nda_mutual_variant_a.md").read_text())
    request = ComparisonJobRequest(standardContractId=standard, compareContractIds=[variant])
    reply = await api.call("POST", "/api/jobs/comparison", json_body={"request": request.model_dump(mode="json")})
    job_id = reply.json["job_id"]
    result = run_comparison_inline(repos, get_analyzer(), "alice", request, 4000)
    repos.results.save(
        AnalysisResult(
            result_id=f"res_{job_id}",
            job_id=job_id,
            user_id="alice",
            job_type=JobType.COMPARISON,
            created_at=WHEN,
            result=result.model_dump(mode="json"),
        )
    )
    return f"res_{job_id}", job_id


def open_docx(body: bytes) -> DocxDocument:
    return docx.Document(io.BytesIO(body))


def after_heading(doc: DocxDocument, starts: str) -> list[Paragraph]:
    """The paragraphs under the first heading that starts with `starts`, up to the next heading."""
    paragraphs = doc.paragraphs
    index = next(
        i for i, p in enumerate(paragraphs) if p.style.name.startswith("Heading") and p.text.startswith(starts)
    )
    out = []
    for p in paragraphs[index + 1 :]:
        if p.style.name.startswith("Heading"):
            break
        out.append(p)
    return out


async def test_the_word_report_of_a_comparison(api: Api, durable: FakeDurableClient, repos: Repositories) -> None:
    result_id, _ = await comparison_result(api, repos)
    reply = await api.call("GET", f"/api/results/{result_id}/report.docx")
    assert reply.status == 200, reply.body
    assert reply.headers["content-type"] == DOCX_TYPE
    disposition = reply.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="NDA-Mutual-Standard-vs-NDA-Variant-A-report.docx"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "NDA Mutual Standard vs NDA Variant A - report.docx"
    assert_described(document(), "GET", "/api/results/{result_id}/report.docx", reply)

    doc = open_docx(reply.body)
    assert doc.core_properties.title == "NDA Mutual Standard vs NDA Variant A"
    assert doc.paragraphs[0].style.name == "Title"
    assert doc.paragraphs[0].text == "NDA Mutual Standard vs NDA Variant A"
    assert "4 March 2025, 09:30 UTC" in doc.paragraphs[1].text
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Standard contract: NDA Mutual Standard" in text and "Compared contracts: NDA Variant A" in text
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert ("Heading 1", "Summary") in headings and ("Heading 1", "NDA Variant A") in headings
    assert ("Heading 2", "High-severity findings") in headings

    # The summary table: one row per compared contract, its counts by status.
    [table] = doc.tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["Contract", "Matched", "Modified", "Missing", "Added", "High severity"]
    assert rows[1][0] == "NDA Variant A"
    assert int(rows[1][2]) >= 2 and int(rows[1][4]) == 1  # modified (term, governing law, ...) and the added clause

    # Findings: the differences, highest severity first; the governing law change as a redline in Word formatting.
    finding_headings = [t for s, t in headings if s == "Heading 2" and " — " in t]
    assert finding_headings[0].endswith("high severity")
    [redline, *rest] = after_heading(doc, "Governing Law")
    struck = [r.text for r in redline.runs if r.font.strike]
    underlined = [r.text for r in redline.runs if r.font.underline]
    assert "Delaware" in " ".join(struck) and "New York" in " ".join(underlined)
    assert all(r.font.color.rgb is not None for r in redline.runs if r.font.strike or r.font.underline)
    plain = [r for r in redline.runs if not r.font.strike and not r.font.underline]
    assert any("governed by the laws of" in r.text for r in plain)
    assert any(p.text.startswith("Explanation: ") for p in rest)
    assert "Unchanged clauses (" in text


async def test_the_markdown_report_of_a_comparison(api: Api, durable: FakeDurableClient, repos: Repositories) -> None:
    result_id, _ = await comparison_result(api, repos)
    reply = await api.call("GET", f"/api/results/{result_id}/report.md")
    assert reply.status == 200, reply.body
    assert reply.headers["content-type"] == "text/markdown; charset=utf-8"
    assert 'filename="NDA-Mutual-Standard-vs-NDA-Variant-A-report.md"' in reply.headers["content-disposition"]
    assert_described(document(), "GET", "/api/results/{result_id}/report.md", reply)
    text = reply.body.decode()
    assert text.startswith("# NDA Mutual Standard vs NDA Variant A\n")
    assert "| Contract | Matched | Modified | Missing | Added | High severity |" in text
    assert "<del>Delaware</del>" in text and "<ins>New York" in text


async def test_reports_are_the_owners_only(api: Api, durable: FakeDurableClient, repos: Repositories) -> None:
    result_id, _ = await comparison_result(api, repos)
    for suffix in ("report.docx", "report.md"):
        assert (await api.call("GET", f"/api/results/{result_id}/{suffix}", user="bob")).status == 404
        missing = await api.call("GET", f"/api/results/res_nope/{suffix}")
        assert missing.status == 404 and missing.error_code == "not_found"
        assert_described(document(), "GET", f"/api/results/{{result_id}}/{suffix}", missing)


async def test_a_batch_result_has_no_report(api: Api, repos: Repositories) -> None:
    repos.results.save(
        AnalysisResult(result_id="res_b", job_id="job_b", user_id="alice", job_type=JobType.BATCH_EVALUATION, result={})
    )
    reply = await api.call("GET", "/api/results/res_b/report.docx")
    assert reply.status == 404 and reply.error_code == "report_not_available"


HOSTILE = "# Heading\n\n1. [click](javascript:alert(1)) <script>x</script> | a | b |\n---\n**bold** `code` ~~gone~~"


def query_result(
    question: str = "What is the governing law?", quote: str = "governed by the laws of Delaware"
) -> QueryResult:
    return QueryResult(
        question=question,
        answer="Delaware law governs the NDA.",
        citations=[Citation(contract_id="c1", clause_title="Governing Law", quote=quote)],
        per_contract=[PerContractAnswer(contract_id="c1", contract_title="NDA Mutual Standard", answer="Delaware.")],
        model="offline",
        usage={},
    )


async def test_the_reports_of_a_question(api: Api, repos: Repositories) -> None:
    repos.results.save(
        AnalysisResult(
            result_id="res_q",
            job_id="job_gone",  # the job expired: the report is titled by the question itself
            user_id="alice",
            job_type=JobType.QUERY,
            created_at=WHEN,
            result=query_result().model_dump(mode="json"),
        )
    )
    reply = await api.call("GET", "/api/results/res_q/report.docx")
    assert reply.status == 200, reply.body
    doc = open_docx(reply.body)
    assert doc.paragraphs[0].text == "“What is the governing law?”"
    assert [p.text for p in after_heading(doc, "Question")] == ["What is the governing law?"]
    assert [p.text for p in after_heading(doc, "Answer")] == ["Delaware law governs the NDA."]
    cited = after_heading(doc, "Citations (1)")
    assert cited[0].text == "NDA Mutual Standard, Governing Law" and cited[0].style.name == "List Number"
    assert cited[1].text == "“governed by the laws of Delaware”" and cited[1].style.name == "Quote"

    md = (await api.call("GET", "/api/results/res_q/report.md")).body.decode()
    assert "## Question\n\nWhat is the governing law?\n" in md
    assert "1\\. **NDA Mutual Standard**, Governing Law\n\n> “governed by the laws of Delaware”" in md


@pytest.mark.parametrize("fmt", ["md", "docx"])
async def test_contract_text_cannot_add_structure_to_a_report(api: Api, repos: Repositories, fmt: str) -> None:
    stored = query_result(question=HOSTILE, quote=HOSTILE)
    repos.results.save(
        AnalysisResult(
            result_id="res_h", job_id="job_h", user_id="alice", job_type=JobType.QUERY, result=stored.model_dump()
        )
    )
    reply = await api.call("GET", f"/api/results/res_h/report.{fmt}")
    assert reply.status == 200
    if fmt == "docx":
        doc = open_docx(reply.body)
        assert [p.text for p in after_heading(doc, "Question")] == [HOSTILE]  # text of one run, no structure
        return
    md = reply.body.decode()
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert headings == [
        "# “# Heading 1. \\[click\\](javascript:alert(1)) &lt;script&gt;x&lt;/script&gt; \\| a \\| b \\| --- "
        "\\*\\*bold\\*\\* …”",
        "## Question",
        "## Answer",
        "## Citations (1)",
        "## Answers per contract",
    ]
    question = md.split("## Question\n\n")[1].splitlines()[0]
    assert question == (
        "\\# Heading 1. \\[click\\](javascript:alert(1)) &lt;script&gt;x&lt;/script&gt; \\| a \\| b \\| --- "
        "\\*\\*bold\\*\\* \\`code\\` \\~\\~gone\\~\\~"
    )
    assert "<script>" not in md and "](javascript" not in md.replace("\\](", "")


async def test_a_result_saved_before_redlines_gets_them_when_read(
    api: Api, durable: FakeDurableClient, repos: Repositories
) -> None:
    result_id, _ = await comparison_result(api, repos)
    stored = repos.results.get("alice", result_id)
    stored.result.pop("standard_contract_title")
    for comparison in stored.result["comparisons"]:
        for finding in comparison["clauses"]:
            finding.pop("redline")
    repos.results.save(stored)
    body = (await api.call("GET", f"/api/results/{result_id}")).json
    findings = [f for c in body["result"]["comparisons"] for f in c["clauses"]]
    assert all((f["redline"] is not None) == (f["status"] == "modified") for f in findings)
    law = next(f for f in findings if f["title"].startswith("Governing Law"))
    assert {"op": "delete", "text": "Delaware"} in law["redline"]
    # Its report: the redlines computed too, the standard named from the library.
    md = (await api.call("GET", f"/api/results/{result_id}/report.md")).body.decode()
    assert "**Standard contract:** NDA Mutual Standard  \n" in md and "<del>Delaware</del>" in md
