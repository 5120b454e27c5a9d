"""Job artifacts: the large intermediates of a job, stored by (user_id, job_id, name) with the job's TTL.

Names are deterministic, so a step that runs twice overwrites its own artifacts (the repository upserts). Each
workflow names its own artifacts next to its steps; the contract snapshots every workflow reads are named here.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from shared.errors import NotFoundError
from shared.storage.base import ArtifactRepository
from shared.storage.unavailable import keep

M = TypeVar("M", bound=BaseModel)


def contract_snapshot(contract_id: str) -> str:
    """The contract as read at the start of the job: later steps use this, not the live document."""
    return f"contract/{contract_id}"


class Artifacts:
    """Typed access to one job's artifacts."""

    def __init__(self, repo: ArtifactRepository, user_id: str, job_id: str, ttl: int | None) -> None:
        self._repo = repo
        self._user_id = user_id
        self._job_id = job_id
        self._ttl = ttl

    def put_text(self, name: str, content: str) -> None:
        self._repo.put(self._user_id, self._job_id, name, content, ttl=self._ttl)

    def keep_text(self, name: str, content: str) -> None:
        """put_text for what a model call paid for: written in place while the store is briefly unavailable (a
        re-run of the step would buy it again; shared/storage/unavailable.py)."""
        keep(lambda: self.put_text(name, content), f"artifact {name!r} of job {self._job_id!r}")

    def keep(self, name: str, model: BaseModel) -> None:
        self.keep_text(name, model.model_dump_json())

    def get_text(self, name: str) -> str:
        return self._repo.get(self._user_id, self._job_id, name)

    def put(self, name: str, model: BaseModel) -> None:
        self.put_text(name, model.model_dump_json())

    def get(self, name: str, model_type: type[M]) -> M:
        return model_type.model_validate_json(self.get_text(name))

    def find(self, name: str, model_type: type[M]) -> M | None:
        """The artifact, or None when no earlier run of the step stored it."""
        try:
            return self.get(name, model_type)
        except NotFoundError:
            return None
