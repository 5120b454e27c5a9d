from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from shared.llm.client import LLMClient
from shared.settings import Settings
from tests.support.openai_server import OpenAITestServer


class Sleeps(list[float]):
    """Records the client's waits instead of sleeping: tests assert on them, never on wall time."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


MakeClient = Callable[[Settings], LLMClient]


@pytest.fixture
def make_client(sleeps: Sleeps) -> Iterator[MakeClient]:
    """Builds clients that sleep into `sleeps` and jitter deterministically (random() == 0.5); closes them."""
    clients: list[LLMClient] = []

    def build(settings: Settings) -> LLMClient:
        client = LLMClient(settings, sleep=sleeps, rand=lambda: 0.5)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(openai_server: OpenAITestServer, make_client: MakeClient) -> LLMClient:
    return make_client(openai_server.settings())
