"""Helpers both backends share: sortable timestamps, keyset continuation tokens, document ids.

Paging is keyset paging on (created_at DESC, id DESC): a continuation token is the position of the last item
returned. It is short, survives restarts, works the same in SQLite and Cosmos (where it needs only TOP and a
composite index, no OFFSET/LIMIT), and never skips or repeats items when new ones are inserted meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from shared.errors import NotFoundError, ValidationFailed
from shared.storage.base import Page

R = TypeVar("R")
T = TypeVar("T")

MAX_PAGE_LIMIT = 1000

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:=~-]{1,200}$")


def iso(moment: datetime) -> str:
    """A fixed-width UTC ISO-8601 string, so string order is time order (pydantic drops zero microseconds,
    which breaks ordering: '...:00Z' sorts after '...:00.5Z'). Naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Position:
    created_at: str
    id: str


def encode_continuation(created_at: str, item_id: str) -> str:
    raw = json.dumps([created_at, item_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continuation(token: str | None) -> Position | None:
    if token is None or token == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        created_at, item_id = json.loads(raw)
        if not isinstance(created_at, str) or not isinstance(item_id, str):
            raise ValueError("not two strings")
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ValidationFailed(f"invalid continuation token {token[:80]!r}", details={"continuation": token}) from exc
    return Position(created_at, item_id)


def keyset_page(
    rows: Sequence[R], limit: int, item: Callable[[R], T], position: Callable[[R], tuple[str, str]]
) -> Page[T]:
    """A page from `limit + 1` rows in keyset order: the extra row only says another page exists, and the token
    is the (created_at, id) of the last item returned."""
    token = encode_continuation(*position(rows[limit - 1])) if len(rows) > limit else None
    return Page([item(row) for row in rows[:limit]], token)


def contracts_not_found(missing: list[str]) -> NotFoundError:
    """What get_many raises: every missing id, in details["missing"]."""
    return NotFoundError(f"contracts not found: {', '.join(missing)}", details={"missing": missing})


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE_LIMIT}, got {limit}", details={"limit": limit})
    return limit


def artifact_key(job_id: str, name: str) -> str:
    """The item id of an artifact: readable when the name is id-safe, else a digest (Cosmos ids may not
    contain '/', '\\', '?' or '#', and are at most 255 characters)."""
    if _SAFE_ID.match(name) and len(job_id) + len(name) < 240:
        return f"{job_id}:{name}"
    digest = hashlib.sha256(name.encode()).hexdigest()[:40]
    return f"{job_id[:190]}:h:{digest}"
