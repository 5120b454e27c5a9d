"""GET /api/results/{result_id}: the stored result in the issue's shape, owner-checked."""

from __future__ import annotations

from shared.jobs.models import JobType
from shared.jobs.results import AnalysisResult
from shared.storage.base import Repositories
from tests.api.conftest import Api


async def test_result_shape_and_ownership(api: Api, repos: Repositories) -> None:
    stored = AnalysisResult(
        result_id="res_1", job_id="job_1", user_id="alice", job_type=JobType.QUERY, result={"answer": "30 days"}
    )
    repos.results.save(stored)
    reply = await api.call("GET", "/api/results/res_1")
    assert reply.status == 200
    assert set(reply.json) == {"result_id", "job_id", "job_type", "created_at", "result"}
    assert reply.json["result"] == {"answer": "30 days"}
    assert reply.json["job_type"] == "query"
    assert (await api.call("GET", "/api/results/res_1", user="bob")).status == 404
    assert (await api.call("GET", "/api/results/res_nope")).status == 404
