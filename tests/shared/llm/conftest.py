from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from shared.llm.client import LLMClient
from shared.settings import Settings
from tests.support.openai_server import OpenAITestServer
from tests.support.quota import FakeClock, MemoryQuotaRepository


class Sleeps(list[float]):
    """Records the client's waits instead of sleeping, and moves the scheduler's fake clock by them: tests assert
    on them, never on wall time."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.clock.advance(seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def quota() -> MemoryQuotaRepository:
    return MemoryQuotaRepository()


@pytest.fixture
def sleeps(clock: FakeClock) -> Sleeps:
    return Sleeps(clock)


MakeClient = Callable[[Settings], LLMClient]


@pytest.fixture
def make_client(sleeps: Sleeps, clock: FakeClock, quota: MemoryQuotaRepository) -> Iterator[MakeClient]:
    """Builds clients that sleep into `sleeps` on the fake clock, keep their quota in memory and jitter
    deterministically (random() == 0.5); closes them."""
    clients: list[LLMClient] = []

    def build(settings: Settings) -> LLMClient:
        client = LLMClient(settings, sleep=sleeps, rand=lambda: 0.5, quota=quota, clock=clock)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(openai_server: OpenAITestServer, make_client: MakeClient) -> LLMClient:
    return make_client(openai_server.settings())
