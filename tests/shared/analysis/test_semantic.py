"""The offline semantic model: loads from the files in the wheel without any network, once, and means something."""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

import numpy as np
import pytest

from shared.analysis import semantic


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(args)
        raise NetworkUsed(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_loading_never_opens_a_socket(no_network: list[Any]) -> None:
    model = semantic._load()
    vectors = model.embed(["Which state's law governs?", "This Agreement is governed by the laws of Delaware."])
    assert vectors.shape == (2, semantic.DIMENSIONS)
    assert no_network == []


def test_loading_leaves_the_apps_logging_alone() -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    semantic._load()
    assert (list(root.handlers), root.level) == before


def test_vectors_are_unit_length_and_close_for_close_meanings() -> None:
    model = semantic.semantic_model()
    question, law, suspension, empty = model.embed(
        [
            "Which state's law applies?",
            "The governing law is the law of the State of Delaware.",
            "Provider may suspend Customer's access if an invoice is more than 30 days overdue.",
            "",
        ]
    )
    assert np.linalg.norm(law) == pytest.approx(1.0, abs=1e-5)
    assert not empty.any()  # no tokens, no direction
    assert float(question @ law) > float(question @ suspension)


def test_a_long_text_is_pooled_in_bounded_chunks() -> None:
    model = semantic.semantic_model()
    short, long_ = model.embed(["fees are due monthly", "fees are due monthly " * 2_000])
    assert float(short @ long_) == pytest.approx(1.0, abs=1e-3)
    assert model.embed([]).shape == (0, semantic.DIMENSIONS)


def test_the_model_is_loaded_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    loads = []
    real = semantic._load

    def counting() -> semantic.SemanticModel:
        loads.append(1)
        return real()

    singleton = semantic.ProcessSingleton(counting)
    monkeypatch.setattr(semantic, "_model", singleton)
    threads = [threading.Thread(target=semantic.semantic_model) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1
