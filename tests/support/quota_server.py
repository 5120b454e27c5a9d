"""The OpenAI-compatible test server with a deployment's quota, as Azure OpenAI accounts for it: every chat request
is charged at arrival on its prompt tokens plus its max_tokens, over a sliding 10-second window that holds a sixth
of the tokens (and requests) per minute.

- enforce=True: a request that would take the window over its share (unless it arrives to an empty window: a
  request larger than the share runs alone) gets a 429 with `retry-after-ms` (when enough will have left).
- enforce=False: everything is answered and counted, so a test can check that its callers kept under the share
  on their own (`max_window_tokens`).
Answered requests carry `x-ratelimit-limit-*` (per minute) and `x-ratelimit-remaining-*` unless `headers=False`,
on Azure's scales: remaining tokens per minute (the window's room scaled by six), remaining requests in the 10 s
window itself (a deployment of 120 RPM answers 19 after one request, not 119). The prompt is counted as OpenAI's
guide counts it (messages in their chat framing, response schema; tests/support/chat_tokens.py), which is how our
client counts what it sends (shared/llm/framing.py): the same figure it reserves.

Built on OpenAITestServer (its scripting and responders apply to the requests it lets through).
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared.text.tokens import encoding_for_model
from tests.support.chat_tokens import guide_prompt_tokens
from tests.support.openai_server import OpenAITestServer

WINDOW_S = 10.0


@dataclass(frozen=True)
class Arrival:
    at: float  # the server's monotonic clock
    tokens: int
    accepted: bool


class QuotaTestServer(OpenAITestServer):
    def __init__(
        self,
        tokens_per_minute: int,
        requests_per_minute: int | None = None,
        *,
        enforce: bool = True,
        headers: bool = True,
    ) -> None:
        super().__init__()
        self.tokens_per_minute = tokens_per_minute
        self.requests_per_minute = requests_per_minute
        self.enforce = enforce
        self.headers = headers
        self.arrivals: list[Arrival] = []
        self._quota_lock = threading.Lock()

    @property
    def window_tokens(self) -> float:
        return self.tokens_per_minute * WINDOW_S / 60

    @property
    def window_requests(self) -> float | None:
        return None if self.requests_per_minute is None else self.requests_per_minute * WINDOW_S / 60

    def cost(self, body: dict[str, Any], deployment: str | None) -> int:
        """Prompt tokens as sent (content, chat framing, response schema) plus the requested max tokens."""
        encoding = encoding_for_model(str(body.get("model") or deployment or ""))
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema")
        output = int(body.get("max_completion_tokens") or body.get("max_tokens") or 0)
        return guide_prompt_tokens(body.get("messages", []), encoding, schema) + output

    # --- what the tests read ---------------------------------------------------------------------------------

    @property
    def accepted(self) -> list[Arrival]:
        return [a for a in self.arrivals if a.accepted]

    @property
    def rejected(self) -> int:
        return sum(1 for a in self.arrivals if not a.accepted)

    def max_window_tokens(self) -> int:
        """The most tokens accepted in any 10 s window (sliding: each ending at an arrival)."""
        accepted = self.accepted
        return max((sum(b.tokens for b in accepted if a.at - WINDOW_S < b.at <= a.at) for a in accepted), default=0)

    def max_window_requests(self) -> int:
        accepted = self.accepted
        return max((sum(1 for b in accepted if a.at - WINDOW_S < b.at <= a.at) for a in accepted), default=0)

    def reset(self) -> None:
        super().reset()
        with self._quota_lock:
            self.arrivals.clear()

    # --- the quota ---------------------------------------------------------------------------------------------

    async def _handle(self, request: Request, deployment: str | None) -> Response:
        arrived = time.monotonic()  # before reading and counting it: a busy server's own work is not the client's
        try:
            body = json.loads(await request.body())  # Starlette keeps the body: the base handler reads it again
        except ValueError:
            return await super()._handle(request, deployment)
        cost = self.cost(body, deployment)
        with self._quota_lock:
            now = arrived
            inside = [a for a in self.arrivals if a.accepted and a.at > now - WINDOW_S]
            load = sum(a.tokens for a in inside)
            wait = self._wait_for_room(inside, load, cost, now)
            accepted = not self.enforce or wait <= 0
            self.arrivals.append(Arrival(now, cost, accepted))
            left_tokens = self.window_tokens - load - (cost if accepted else 0)
            left_requests = None if self.window_requests is None else self.window_requests - len(inside) - accepted
        if not accepted:
            return self._refused(wait, left_tokens, left_requests)
        response = await super()._handle(request, deployment)
        if self.headers:
            response.headers.update(self._rate_headers(left_tokens, left_requests))
        return response

    def _wait_for_room(self, inside: list[Arrival], load: int, cost: int, now: float) -> float:
        """Seconds until the request fits the window (0: it fits now)."""
        requests_cap = self.window_requests

        def fits(tokens: int, count: int) -> bool:
            within_tokens = tokens == 0 or tokens + cost <= self.window_tokens
            return within_tokens and (requests_cap is None or count + 1 <= requests_cap)

        if fits(load, len(inside)):
            return 0.0
        for index, arrival in enumerate(inside):  # oldest first: each leaving frees its share
            load -= arrival.tokens
            if fits(load, len(inside) - index - 1):
                return arrival.at + WINDOW_S - now
        return WINDOW_S  # pragma: no cover - an empty window always fits

    def _rate_headers(self, left_tokens: float, left_requests: float | None) -> dict[str, str]:
        headers = {
            "x-ratelimit-limit-tokens": str(self.tokens_per_minute),
            "x-ratelimit-remaining-tokens": str(max(0, math.floor(left_tokens * 60 / WINDOW_S))),  # per minute
        }
        if self.requests_per_minute is not None and left_requests is not None:
            headers["x-ratelimit-limit-requests"] = str(self.requests_per_minute)
            headers["x-ratelimit-remaining-requests"] = str(max(0, math.floor(left_requests)))  # in the window
        return headers

    def _refused(self, wait: float, left_tokens: float, left_requests: float | None) -> Response:
        headers = {"retry-after-ms": str(max(1, math.ceil(wait * 1000))), "retry-after": str(math.ceil(wait))}
        if self.headers:
            headers.update(self._rate_headers(left_tokens, left_requests))
        body = {
            "error": {
                "message": f"Requests to this deployment have exceeded its token rate limit; retry in {wait:.1f} s.",
                "type": "requests",
                "param": None,
                "code": "429",
            }
        }
        return JSONResponse(body, status_code=429, headers=headers)
