"""Names of a query job's artifacts (shared/jobs/artifacts.py stores them)."""

from __future__ import annotations


def part(part_index: int) -> str:
    return f"query/part/{part_index}"


def answer(part_index: int) -> str:
    return f"query/answer/{part_index}"


def raw(part_index: int) -> str:
    return f"query/raw/{part_index}"


def node(level: int, index: int) -> str:
    """A combined answer of the reduce tree: `index` of round `level` (round 0 is the parts' answers)."""
    return f"query/combine/{level}/{index}"


def node_raw(level: int, index: int) -> str:
    return f"query/combine/{level}/{index}/raw"


RESULT = "query/result"
