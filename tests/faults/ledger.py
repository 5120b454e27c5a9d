"""Who paid for what: every model call as the model proxy saw it, grouped by what was asked.

A model call is paid for when the server answered it (200). The same question (the same messages) paid for again
is one of three things, told apart honestly:

- lost in transit, re-sent: no earlier answer to it ever reached the app (a reset mid-response, a timeout);
- received, not stored before a kill, re-sent: an earlier answer reached the app (or was on its way), the host was
  killed before the app stored it (the store at the kill, read while the host was down, does not hold it), and the
  app asked again;
- paid twice: an earlier answer reached the app and was not lost to a kill. That is the figure that must be 0: it
  includes answers the app received but failed to keep through a store fault (no excuse is taken for those).

Each answer carries a nonce (the responder below puts one in the free-text field of every schema we use), so the
store can be searched for exactly which answers it holds.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import re
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.fault_proxy import Exchange
from tests.support.openai_server import RecordedRequest, echo_content

NONCE = re.compile(r"nonce-\d{6}")
FREE_TEXT = ("response_text", "summary", "answer")


class NonceResponder:
    """The test server's default answers (schema-valid, derived from the prompt) with a nonce in free text."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Any:
        content = echo_content(request)
        if isinstance(content, dict):
            with self._lock:
                nonce = f"nonce-{next(self._ids):06d}"
            for name in FREE_TEXT:
                if isinstance(content.get(name), str):
                    content[name] = f"{content[name]} [{nonce}]"
                    break
        return content


def question_key(body: bytes | None) -> str:
    """What determines the answer: the messages sent (the same prompt is the same question)."""
    try:
        messages = json.loads(body or b"{}").get("messages", [])
    except ValueError:
        messages = []
    return hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()


def schema_of(body: bytes | None) -> str:
    try:
        return str(json.loads(body or b"{}")["response_format"]["json_schema"]["name"])
    except (ValueError, KeyError, TypeError):
        return "?"


def nonce_of(exchange: Exchange) -> str | None:
    found = NONCE.search((exchange.reply or b"").decode(errors="replace"))
    return found.group(0) if found else None


@dataclass
class Kill:
    at: float  # time.monotonic() of the SIGKILL
    stored: set[str]  # the nonces the store held while the host was down


@dataclass
class Ledger:
    calls: int = 0  # chat requests the app sent
    answered: int = 0  # answered by the server (paid for)
    questions: int = 0  # distinct questions answered
    refused: int = 0  # answered by the proxy or never reached the server (not paid)
    lost_in_transit_resent: int = 0
    killed_before_stored_resent: int = 0
    paid_twice: int = 0
    paid_twice_examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "paid_twice_examples"}


def account(exchanges: Iterable[Exchange], kills: list[Kill] | None = None) -> Ledger:
    ledger = Ledger()
    by_question: dict[str, list[Exchange]] = defaultdict(list)
    for exchange in exchanges:
        if not (exchange.method == "POST" and exchange.path.split("?")[0].endswith("/chat/completions")):
            continue
        ledger.calls += 1
        if exchange.answered_upstream and exchange.status == 200:
            by_question[question_key(exchange.body)].append(exchange)
        else:
            ledger.refused += 1
    ledger.questions = len(by_question)
    for key, paid in by_question.items():
        paid.sort(key=lambda e: e.started)
        ledger.answered += len(paid)
        for index, again in enumerate(paid[1:], 1):
            delivered = [p for p in paid[:index] if p.delivered]
            if not delivered:
                ledger.lost_in_transit_resent += 1
                continue
            last = delivered[-1]
            received = last.finished or last.started
            # A kill after the call went out may have come before the app read its answer (the proxy's write to a
            # dead process still "succeeds"), or before it stored it: the store at that kill tells.
            between = [k for k in kills or [] if last.started < k.at < again.started]
            nonces = {n for n in (nonce_of(p) for p in delivered) if n}
            if between and not any(nonces & k.stored for k in between):
                ledger.killed_before_stored_resent += 1
            else:
                ledger.paid_twice += 1
                ledger.paid_twice_examples.append(
                    f"{schema_of(again.body)} {key[:12]}: answered {sorted(nonces)} (delivered at "
                    f"{received:.1f}), asked again at {again.started:.1f}"
                )
    return ledger


def stored_nonces(database: Path) -> set[str]:
    """The answers the embedded store holds (answer cache, comparison findings, query answers), not raw copies."""
    if not database.exists():
        return set()
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as conn:
        texts = [row[0] for row in conn.execute("SELECT doc FROM model_answers")]
        texts += [row[0] for row in conn.execute("SELECT content FROM artifacts WHERE name NOT LIKE '%raw%'")]
    return {match for text in texts for match in NONCE.findall(text)}
