"""Names of a comparison job's artifacts (shared/jobs/artifacts.py stores them)."""

from __future__ import annotations

from typing import Literal

PerContract = Literal["task", "output", "raw"]
"""The model call's task, its validated findings, and the model's raw output, per compared contract."""

RESULT = "comparison/result"


def of_contract(kind: PerContract, contract_id: str) -> str:
    return f"comparison/{kind}/{contract_id}"
