"""Retrieve step: read the job's contracts and turn them into what the analyzers take."""

from __future__ import annotations

from collections.abc import Sequence

from shared.errors import NotFoundError
from shared.models.analysis import ClauseText, ContractForAnalysis
from shared.models.contracts import Contract
from shared.pipeline.errors import ContractsMissing
from shared.pipeline.messages import ContractRef
from shared.storage.base import ContractRepository
from shared.text.segmentation import Clause, top_level


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


def contract_ref(contract: Contract) -> ContractRef:
    return ContractRef(
        contract_id=contract.contract_id,
        title=contract.title,
        tokens=contract.token_count,
        clauses=len(contract.clauses),
    )
