"""Helpers both backends share: sortable timestamps, keyset continuation tokens, item ids.

Paging is keyset paging: a continuation token is the sort key of the last item returned ((created_at, id) for
newest-first lists, (filename, id) for a folder, (record_id,) for a batch's records). It is short, survives
restarts, works the same in SQLite and Cosmos (where it needs only TOP and a composite index, no OFFSET/LIMIT),
and never skips or repeats items when new ones are inserted meanwhile.
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

from shared.errors import InvalidContinuation, NotFoundError, ValidationFailed
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


def encode_continuation(*keys: str) -> str:
    raw = json.dumps(list(keys), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_keys(token: str | None, count: int) -> tuple[str, ...] | None:
    """The `count` sort keys a token holds, or None for no token; ValidationFailed naming a token that is not
    one of ours (garbage, or a token of a list with another sort key)."""
    if token is None or token == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        keys = json.loads(raw)
        if not isinstance(keys, list) or len(keys) != count or not all(isinstance(key, str) for key in keys):
            raise ValueError(f"not {count} strings")
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidContinuation(
            f"invalid continuation token {token[:80]!r}", details={"continuation": token}
        ) from exc
    return tuple(keys)


def decode_continuation(token: str | None) -> Position | None:
    keys = decode_keys(token, 2)
    return None if keys is None else Position(*keys)


def keyset_page(
    rows: Sequence[R], limit: int, item: Callable[[R], T], position: Callable[[R], tuple[str, ...]]
) -> Page[T]:
    """A page from `limit + 1` rows in keyset order: the extra row only says another page exists, and the token
    is the sort key of the last item returned."""
    token = encode_continuation(*position(rows[limit - 1])) if len(rows) > limit else None
    return Page([item(row) for row in rows[:limit]], token)


def after_clause(columns: Sequence[str], marks: Sequence[str], op: str = ">") -> str:
    """The rows after a keyset position in (columns...) order, as SQL both backends run: for (a, b) it is
    `(a > m0 OR (a = m0 AND b > m1))`; op "<" for a descending order. `marks` are the named parameters."""
    terms = []
    for index, column in enumerate(columns):
        equal = [f"{columns[j]} = {marks[j]}" for j in range(index)]
        terms.append("(" + " AND ".join([*equal, f"{column} {op} {marks[index]}"]) + ")")
    return "(" + " OR ".join(terms) + ")"


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


_FORBIDDEN_ID = re.compile(r"[/\\?#]")


def is_item_id(value: str) -> bool:
    """Whether a value can be a Cosmos item id (at most 255 characters, none of / \\ ? #). Ids that cannot are
    refused on create and simply not found on read, on both backends alike."""
    return 0 < len(value) <= 255 and not _FORBIDDEN_ID.search(value)


def check_item_id(kind: str, value: str) -> str:
    if not is_item_id(value):
        raise ValidationFailed(
            f"{kind} {value[:80]!r} is not a valid id (1 to 255 characters, none of / \\ ? #)", details={kind: value}
        )
    return value


def answer_item_id(key: str) -> str:
    """The item id of a model answer: the key itself when it is id-safe, else a digest of it."""
    if _SAFE_ID.match(key):
        return key
    return "h:" + hashlib.sha256(key.encode()).hexdigest()
