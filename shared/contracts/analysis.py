"""A contract as the analyzers read it: its top-level clauses, in order. Built from the stored contract."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from shared.contracts.models import Contract
from shared.errors import NotFoundError
from shared.storage.base import ContractRepository
from shared.text.segmentation import Clause, top_level


class ClauseText(BaseModel):
    title: str
    number: str | None = None
    text: str


class ContractForAnalysis(BaseModel):
    contract_id: str
    title: str
    clauses: list[ClauseText]


class ContractsMissing(NotFoundError):
    """Contracts a job runs over no longer exist (deleted after the job was submitted)."""

    code = "contracts_missing"

    def __init__(self, contract_ids: Sequence[str]) -> None:
        ids = ", ".join(contract_ids)
        super().__init__(
            f"contracts no longer exist (deleted after the job was submitted): {ids}", {"missing": list(contract_ids)}
        )
        self.contract_ids = list(contract_ids)


def load_contracts(repo: ContractRepository, user_id: str, contract_ids: Sequence[str]) -> list[Contract]:
    """The contracts in the order asked; ContractsMissing names every id that no longer exists."""
    try:
        return repo.get_many(user_id, contract_ids)
    except NotFoundError as exc:
        missing = exc.details.get("missing") if isinstance(exc.details, dict) else None
        raise ContractsMissing(missing or repo.missing(user_id, contract_ids) or list(contract_ids)) from exc


def to_analysis(contract: Contract) -> ContractForAnalysis:
    """Top-level clauses, each spanning its nested sub-clauses: what clause-by-clause comparison aligns, and a
    unit the query planner keeps together when it can."""
    records = [Clause(c.index, c.number, c.title, c.text, c.start, c.end, c.level) for c in contract.clauses]
    clauses = [ClauseText(title=c.title, number=c.number, text=c.text) for c in top_level(records, contract.text)]
    if not clauses and contract.text.strip():
        # An unstructured text is one clause: the analyzers still see every word of it.
        clauses = [ClauseText(title=contract.title, text=contract.text)]
    return ContractForAnalysis(contract_id=contract.contract_id, title=contract.title, clauses=clauses)
