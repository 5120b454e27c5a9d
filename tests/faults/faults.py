"""The faults the scenarios inject, in each server's own words: what Cosmos DB, Azure Storage and the model
endpoint answer when they throttle or fail."""

from __future__ import annotations

import json

from tests.support.fault_proxy import FaultProxy

COSMOS_THROTTLED = (
    429,
    {"Content-Type": "application/json", "x-ms-retry-after-ms": "100", "x-ms-substatus": "3200"},
    json.dumps({"code": "TooManyRequests", "message": "Request rate is large. Please retry this request later."}),
)
COSMOS_UNAVAILABLE = (
    503,
    {"Content-Type": "application/json"},
    json.dumps({"code": "ServiceUnavailable", "message": "Service is currently unavailable."}),
)
MODEL_ERRORS = (
    (500, "The server had an error while processing your request."),
    (502, "Bad gateway."),
    (503, "The engine is currently overloaded, please try again later."),
)


def cosmos_throttles_and_fails(proxy: FaultProxy, share: float) -> None:
    """`share` of every Cosmos request answered 429 (with x-ms-retry-after-ms) or 503, half each."""
    for status, headers, body in (COSMOS_THROTTLED, COSMOS_UNAVAILABLE):
        # The second rule sees what the first let through: share/2 of it is share/2 / (1 - share/2) of the rest.
        proxy.answer(share / 2, status, headers, body.encode())


def model_storm(proxy: FaultProxy) -> None:
    """Every model call answered with a 5xx (a mix of 500, 502, 503 in OpenAI's error shape)."""
    for index, (status, message) in enumerate(MODEL_ERRORS):
        body = json.dumps({"error": {"message": message, "type": "server_error", "param": None, "code": None}})
        share = 1.0 / (len(MODEL_ERRORS) - index)  # an even mix: each rule takes its part of what is left
        proxy.answer(share, status, {"Content-Type": "application/json"}, body.encode())
