"""What the storage contract tests share: big texts, a look at raw Cosmos items, and batch workflow objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.batches.models import (
    Batch,
    BatchConfig,
    BatchSummary,
    Checks,
    ModelAnswer,
    PromptConfig,
    PromptSummary,
    RecordStatus,
    ResponseRecord,
    Scale,
    StagedDocument,
    record_id,
)
from shared.documents.models import Document, DocumentText

COSMOS_ITEM_LIMIT = 2 * 1024 * 1024
BASE = datetime(2025, 3, 1, tzinfo=UTC)


def big_text(megabytes: float) -> str:
    # Mixed content: ASCII, quotes and newlines (escaped in JSON) and multi-byte characters (wider in UTF-8).
    unit = 'Clause 7.1 "Indemnity" — the Supplier shall indemnify § ü 契約\n'
    size = int(megabytes * 1024 * 1024)
    return (unit * (size // len(unit.encode()) + 1))[:size]


def cosmos_items(container: Any, user_id: str) -> list[dict[str, Any]]:
    """Every stored Cosmos item of a user in a container (to check sizes and leftovers)."""
    return list(
        container.query_items(
            "SELECT * FROM c WHERE c.user_id = @u", parameters=[{"name": "@u", "value": user_id}], partition_key=user_id
        )
    )


def make_document(
    user_id: str, document_id: str, folder: str = "Vendors", filename: str = "a.txt", **fields: Any
) -> Document:
    return Document(
        document_id=document_id,
        user_id=user_id,
        folder=folder,
        filename=filename,
        format=fields.pop("format", "txt"),
        bytes=fields.pop("bytes", 120),
        sha256=fields.pop("sha256", "ab" * 32),
        blob_name=f"{user_id}/{document_id}",
        created_at=fields.pop("created_at", BASE),
        **fields,
    )


def make_text(user_id: str, document_id: str, text: str = "The term is one year.") -> DocumentText:
    return DocumentText(
        document_id=document_id,
        user_id=user_id,
        sha256="ab" * 32,
        text=text,
        token_count=len(text) // 4,
        created_at=BASE,
    )


CONFIG = BatchConfig(
    name="Vendor review",
    folders=["Vendors", "Vendors/2025"],
    prompts=[
        PromptConfig(name="term", text="Is the term stated?"),
        PromptConfig(name="risk", text="Rate the liability risk.", scoring=Scale(min=1, max=5)),
        PromptConfig(name="checks", text="Run the checks.", scoring=Checks(checks=[{"name": "law", "regex": "law"}])),
    ],
)


def make_batch(user_id: str, batch_id: str, *, minute: float = 0, documents: int = 2, **fields: Any) -> Batch:
    staged = [
        StagedDocument(
            document_id=f"d{index:05d}",
            folder="Vendors",
            filename=f"contract {index}.txt",
            sha256=f"{index:064x}",
            status="staged" if index % 7 else "failed",
            reason=None if index % 7 else "the PDF has no text layer",
            token_count=1000 + index,
        )
        for index in range(documents)
    ]
    return Batch(
        batch_id=batch_id,
        user_id=user_id,
        config=CONFIG,
        snapshot=fields.pop("snapshot", CONFIG),
        documents=staged,
        created_at=BASE + timedelta(minutes=minute),
        updated_at=BASE + timedelta(minutes=minute, seconds=1),
        **fields,
    )


SUMMARY = BatchSummary(
    records=6,
    by_status={"QUEUED": 0, "S": 5, "F": 1},
    reused_answers=2,
    model_calls=3,
    mean_score=0.75,
    prompts=[
        PromptSummary(
            name="term", scoring="pass_fail", answered=2, failed=0, mean=1.0, pass_rate=1.0, distribution={"pass": 2}
        )
    ],
    finished_at=BASE,
)


def make_record(user_id: str, batch_id: str, document: int, prompt: int, **fields: Any) -> ResponseRecord:
    document_id = f"d{document:05d}"
    return ResponseRecord(
        record_id=record_id(batch_id, document_id, prompt),
        user_id=user_id,
        batch_id=batch_id,
        document_id=document_id,
        folder="Vendors",
        filename=f"contract {document}.txt",
        prompt_index=prompt,
        prompt_name=f"prompt {prompt}",
        updated_at=BASE,
        **fields,
    )


def answered(record: ResponseRecord, score: float = 1.0) -> ResponseRecord:
    return record.model_copy(
        update={
            "status": RecordStatus.S,
            "response_text": "Yes: the term is one year.",
            "score": score,
            "evidence": ["The term is one year."],
            "answer_key": "k" * 64,
            "model": "offline",
            "attempts": 1,
        }
    )


def make_answer(user_id: str, key: str, text: str = "Yes.") -> ModelAnswer:
    return ModelAnswer(
        key=key, user_id=user_id, response_text=text, score=1.0, evidence=["quote"], model="m", created_at=BASE
    )
