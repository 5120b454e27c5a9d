"""Contracts in the embedded store: the full document beside the summary the list pages show."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from shared.contracts.models import Contract, ContractSummary, summarize
from shared.errors import ConflictError, NotFoundError
from shared.storage.base import Page
from shared.storage.common import check_limit, contracts_not_found, decode_continuation, iso, keyset_page
from shared.storage.sqlite.database import SqliteStore, list_position


class SqliteContractRepository:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def add(self, contract: Contract) -> None:
        doc = contract.model_dump(mode="json")
        doc["created_at"] = iso(contract.created_at)
        summary = {**summarize(contract).model_dump(mode="json"), "created_at": doc["created_at"]}
        try:
            with self._store.write() as conn:
                conn.execute(
                    "INSERT INTO contracts (user_id, contract_id, created_at, summary, doc) VALUES (?, ?, ?, ?, ?)",
                    (contract.user_id, contract.contract_id, doc["created_at"], json.dumps(summary), json.dumps(doc)),
                )
        except sqlite3.IntegrityError as exc:
            raise ConflictError(f"contract {contract.contract_id!r} already exists") from exc

    def get(self, user_id: str, contract_id: str) -> Contract:
        row = (
            self._store.connection()
            .execute("SELECT doc FROM contracts WHERE user_id = ? AND contract_id = ?", (user_id, contract_id))
            .fetchone()
        )
        if row is None:
            raise NotFoundError(f"contract {contract_id!r} not found", details={"contract_id": contract_id})
        return Contract.model_validate_json(row[0])

    def get_many(self, user_id: str, contract_ids: Sequence[str]) -> list[Contract]:
        docs = dict(self._select(user_id, contract_ids, "doc"))
        missing = [contract_id for contract_id in dict.fromkeys(contract_ids) if contract_id not in docs]
        if missing:
            raise contracts_not_found(missing)
        return [Contract.model_validate_json(docs[contract_id]) for contract_id in contract_ids]

    def missing(self, user_id: str, contract_ids: Sequence[str]) -> list[str]:
        found = {row[0] for row in self._select(user_id, contract_ids)}
        return [contract_id for contract_id in dict.fromkeys(contract_ids) if contract_id not in found]

    def _select(self, user_id: str, contract_ids: Sequence[str], *columns: str) -> list[Any]:
        """(contract_id, *columns) of the user's contracts among contract_ids, in one query."""
        wanted = list(dict.fromkeys(contract_ids))
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        selected = ", ".join(("contract_id", *columns))
        return (
            self._store.connection()
            .execute(
                f"SELECT {selected} FROM contracts WHERE user_id = ? AND contract_id IN ({marks})", (user_id, *wanted)
            )
            .fetchall()
        )

    def list(self, user_id: str, *, limit: int = 100, continuation: str | None = None) -> Page[ContractSummary]:
        check_limit(limit)
        after = decode_continuation(continuation)
        sql = "SELECT summary, created_at, contract_id FROM contracts WHERE user_id = ?"
        params: list[Any] = [user_id]
        if after is not None:
            sql += " AND (created_at < ? OR (created_at = ? AND contract_id < ?))"
            params += [after.created_at, after.created_at, after.id]
        sql += " ORDER BY created_at DESC, contract_id DESC LIMIT ?"
        rows = self._store.connection().execute(sql, (*params, limit + 1)).fetchall()
        return keyset_page(rows, limit, lambda row: ContractSummary.model_validate_json(row[0]), list_position)

    def delete(self, user_id: str, contract_id: str) -> None:
        with self._store.write() as conn:
            deleted = conn.execute(
                "DELETE FROM contracts WHERE user_id = ? AND contract_id = ?", (user_id, contract_id)
            ).rowcount
        if not deleted:
            raise NotFoundError(f"contract {contract_id!r} not found", details={"contract_id": contract_id})
