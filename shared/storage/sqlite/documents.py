"""Batch documents in the embedded store: metadata rows beside the folder and filename they are listed by, and
the extracted texts (any size: SQLite has no item cap to split around)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from shared.documents.models import Document, DocumentText, FolderSummary
from shared.errors import ConflictError, NotFoundError
from shared.storage.base import Page
from shared.storage.common import after_clause, check_item_id, check_limit, decode_keys, iso, keyset_page
from shared.storage.sqlite.database import SqliteStore


def _not_found(document_id: str, what: str = "document") -> NotFoundError:
    return NotFoundError(f"{what} {document_id!r} not found", details={"document_id": document_id})


class SqliteDocumentRepository:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def add(self, document: Document) -> None:
        check_item_id("document_id", document.document_id)
        doc = document.model_dump(mode="json")
        doc["created_at"] = iso(document.created_at)
        try:
            with self._store.write() as conn:
                conn.execute(
                    "INSERT INTO documents (user_id, document_id, folder, filename, doc) VALUES (?, ?, ?, ?, ?)",
                    (document.user_id, document.document_id, document.folder, document.filename, json.dumps(doc)),
                )
        except sqlite3.IntegrityError as exc:
            raise ConflictError(
                f"document {document.document_id!r} already exists", details={"document_id": document.document_id}
            ) from exc

    def get(self, user_id: str, document_id: str) -> Document:
        row = (
            self._store.connection()
            .execute("SELECT doc FROM documents WHERE user_id = ? AND document_id = ?", (user_id, document_id))
            .fetchone()
        )
        if row is None:
            raise _not_found(document_id)
        return Document.model_validate_json(row[0])

    def in_folders(self, user_id: str, folders: Sequence[str]) -> list[Document]:
        wanted = list(dict.fromkeys(folders))
        if not wanted:
            return []
        rows = (
            self._store.connection()
            .execute(
                f"SELECT doc FROM documents WHERE user_id = ? AND folder IN ({','.join('?' * len(wanted))})"
                " ORDER BY folder, filename, document_id",
                (user_id, *wanted),
            )
            .fetchall()
        )
        return [Document.model_validate_json(row[0]) for row in rows]

    def list_folder(
        self, user_id: str, folder: str, *, limit: int = 100, continuation: str | None = None
    ) -> Page[Document]:
        check_limit(limit)
        after = decode_keys(continuation, 2)
        sql = "SELECT doc, filename, document_id FROM documents WHERE user_id = :user_id AND folder = :folder"
        values: dict[str, Any] = {"user_id": user_id, "folder": folder, "top": limit + 1}
        if after is not None:
            sql += " AND " + after_clause(("filename", "document_id"), (":after0", ":after1"))
            values.update(after0=after[0], after1=after[1])
        sql += " ORDER BY filename, document_id LIMIT :top"
        rows = self._store.connection().execute(sql, values).fetchall()
        return keyset_page(rows, limit, lambda row: Document.model_validate_json(row[0]), lambda row: (row[1], row[2]))

    def folders(self, user_id: str) -> list[FolderSummary]:
        rows = (
            self._store.connection()
            .execute(
                "SELECT folder, COUNT(*) FROM documents WHERE user_id = ? GROUP BY folder ORDER BY folder", (user_id,)
            )
            .fetchall()
        )
        return [FolderSummary(folder=row[0], document_count=row[1]) for row in rows]

    def count_in_folder(self, user_id: str, folder: str) -> int:
        row = (
            self._store.connection()
            .execute("SELECT COUNT(*) FROM documents WHERE user_id = ? AND folder = ?", (user_id, folder))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def delete(self, user_id: str, document_id: str) -> None:
        with self._store.write() as conn:
            conn.execute("DELETE FROM document_texts WHERE user_id = ? AND document_id = ?", (user_id, document_id))
            deleted = conn.execute(
                "DELETE FROM documents WHERE user_id = ? AND document_id = ?", (user_id, document_id)
            ).rowcount
            if not deleted:
                raise _not_found(document_id)  # rolls back: nothing changes

    def put_text(self, text: DocumentText) -> None:
        check_item_id("document_id", text.document_id)
        doc = text.model_dump(mode="json", exclude={"text"})
        doc["created_at"] = iso(text.created_at)
        with self._store.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO document_texts (user_id, document_id, doc, text) VALUES (?, ?, ?, ?)",
                (text.user_id, text.document_id, json.dumps(doc), text.text),
            )

    def get_text(self, user_id: str, document_id: str) -> DocumentText:
        row = (
            self._store.connection()
            .execute(
                "SELECT doc, text FROM document_texts WHERE user_id = ? AND document_id = ?", (user_id, document_id)
            )
            .fetchone()
        )
        if row is None:
            raise _not_found(document_id, "text of document")
        return DocumentText.model_validate({**json.loads(row[0]), "text": row[1]})
