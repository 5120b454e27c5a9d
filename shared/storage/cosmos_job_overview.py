"""The cross-user job queries of the operations summary over Cosmos DB (a mixin of CosmosJobRepository): the only
queries of the app that span partitions, so each is filtered on indexed fields and projects the few fields it
needs; no GROUP BY (the Cosmos-compatible test server lacks it), the counting is done on the projected pairs."""

from __future__ import annotations

from datetime import datetime

from azure.cosmos import ContainerProxy

from shared.jobs.models import JobStatus, JobType
from shared.storage.base import FailedJobRow, RunningJobRow
from shared.storage.common import check_limit, iso
from shared.storage.cosmos_common import params
from shared.storage.job_overview import failed_row, running_row, second_bounds, tally


class CosmosJobOverview:
    container: ContainerProxy

    def counts_by_status_and_type(self, since: datetime, until: datetime) -> dict[tuple[JobStatus, JobType], int]:
        rows = self.container.query_items(
            "SELECT c.status, c.job_type FROM c WHERE c.created_at >= @since AND c.created_at < @until",
            parameters=params(since=iso(since), until=iso(until)),
            enable_cross_partition_query=True,
        )
        return tally((row.get("status"), row.get("job_type"), 1) for row in rows)

    def oldest_running(self) -> RunningJobRow | None:
        rows = list(
            self.container.query_items(
                "SELECT TOP 1 c.id AS job_id, c.user_id, c.job_type, c.created_at, c.started_at,"
                " c.progress.current_step AS step, c.title, c.request"
                " FROM c WHERE c.status = @status ORDER BY c.created_at",
                parameters=params(status=JobStatus.PROCESSING.value),
                enable_cross_partition_query=True,
            )
        )
        return running_row(rows[0]) if rows else None

    def failed_between(self, since: datetime, until: datetime, *, limit: int = 20) -> list[FailedJobRow]:
        check_limit(limit)
        lower, upper = second_bounds(since, until)
        rows = self.container.query_items(
            "SELECT TOP @top c.id AS job_id, c.user_id, c.job_type, c.completed_at, c.error_details AS error,"
            " c.title, c.request FROM c"
            " WHERE c.status = @status AND c.completed_at >= @lower AND c.completed_at < @upper"
            " ORDER BY c.completed_at DESC",
            parameters=params(top=limit, status=JobStatus.FAILED.value, lower=lower, upper=upper),
            enable_cross_partition_query=True,
        )
        return [failed_row(row) for row in rows]
