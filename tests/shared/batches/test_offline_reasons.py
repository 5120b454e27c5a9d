"""The offline batch evaluation gives its reason in plain English: the fact and where it is, or what is missing."""

from __future__ import annotations

from pathlib import Path

from shared.batches.evaluation import EvaluationTask
from shared.batches.models import ModelConfig, PassFail, PromptConfig, Scale
from shared.batches.offline import evaluate

NDA = (Path(__file__).resolve().parents[3] / "sample_data" / "nda_mutual_standard.md").read_text(encoding="utf-8")
LETTER = (
    "Consulting letter\n\n1. Services. The consultant will advise on data strategy.\n\n"
    "2. Fees. Client pays $5,000 per month within thirty (30) days of invoice.\n"
)


def run(prompt: str, text: str, filename: str, scale: bool = False) -> tuple[str, float | None, list[str]]:
    scoring = Scale(min=0, max=10) if scale else PassFail()
    task = EvaluationTask(
        prompt=PromptConfig(name="p", text=prompt, scoring=scoring),
        document_id="d",
        filename=filename,
        text=text,
        model=ModelConfig(),
    )
    answer = evaluate(task)
    return answer.response_text, answer.score, answer.evidence


def test_a_missing_topic_reads_as_a_sentence() -> None:
    reason, score, evidence = run("Governed by the laws of Delaware", LETTER, "consultant_letter.txt")
    missing = "Not addressed: consultant_letter.txt has no clause on \u201cGoverned by the laws of Delaware\u201d."
    assert reason == missing
    assert (score, evidence) == (0.0, [])
    reason, _, _ = run("What is the governing law?", LETTER, "consultant_letter.txt")
    assert reason == "Not addressed: consultant_letter.txt has no clause on governing law."


def test_an_answer_states_the_fact_and_its_clause_with_the_quote_as_evidence() -> None:
    reason, score, evidence = run("Governed by the laws of Delaware", NDA, "nda.md")
    assert reason == "Delaware law (Governing Law and Jurisdiction)."
    assert score == 1.0 and any("State of Delaware" in quote for quote in evidence)
    reason, _, _ = run("When are invoices due?", LETTER, "consultant_letter.txt")
    assert reason == "Client pays $5,000 per month within thirty (30) days of invoice (Fees)."


def test_each_part_of_a_prompt_is_answered() -> None:
    reason, score, _ = run("What is the governing law, and is there a non-compete?", NDA, "nda.md", scale=True)
    assert reason.startswith("Delaware law (Governing Law and Jurisdiction); nothing on ")
    assert score is not None and 0 < score < 10
