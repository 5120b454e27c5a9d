"""The answer cache (model answers paid for once), against SQLite and Cosmos alike."""

from __future__ import annotations

import hashlib

import pytest

from shared.storage.base import Repositories
from tests.shared.storage.helpers import make_answer

pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")

KEY = hashlib.sha256(b"document|prompt|scoring|model|0.0|800").hexdigest()


def test_an_answer_round_trips_and_a_missing_one_is_none(repos: Repositories, user: str) -> None:
    assert repos.answers.get(user, KEY) is None
    answer = make_answer(user, KEY)
    repos.answers.put(answer)
    assert repos.answers.get(user, KEY) == answer
    assert repos.answers.get(user, KEY[:-1] + "0") is None


def test_put_is_an_upsert(repos: Repositories, user: str) -> None:
    repos.answers.put(make_answer(user, KEY, "first"))
    repos.answers.put(make_answer(user, KEY, "second"))  # an activity run twice
    loaded = repos.answers.get(user, KEY)
    assert loaded is not None and loaded.response_text == "second"


def test_another_users_answer_is_none(repos: Repositories, user: str, other_user: str) -> None:
    repos.answers.put(make_answer(user, KEY))
    assert repos.answers.get(other_user, KEY) is None
    repos.answers.put(make_answer(other_user, KEY, "theirs"))  # the same key: an answer cache per user
    mine, theirs = repos.answers.get(user, KEY), repos.answers.get(other_user, KEY)
    assert mine is not None and theirs is not None
    assert (mine.response_text, theirs.response_text) == ("Yes.", "theirs")


def test_keys_need_not_be_id_safe(repos: Repositories, user: str) -> None:
    keys = ["v1/sha256:abc?prompt#1", "back\\slash", "k" * 400, "v1:" + KEY]
    for index, key in enumerate(keys):
        repos.answers.put(make_answer(user, key, f"answer {index}"))
    loaded = [repos.answers.get(user, key) for key in keys]
    assert [answer.response_text if answer else None for answer in loaded] == [f"answer {i}" for i in range(4)]
    assert [answer.key if answer else None for answer in loaded] == keys
