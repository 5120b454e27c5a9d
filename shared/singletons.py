"""The one way the app holds a per-process object (settings, repositories, the analyzer, queue clients): built on
first use, once, thread-safe; tests install their own or reset it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar, cast

T = TypeVar("T")

_UNSET = object()


class ProcessSingleton(Generic[T]):
    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: object = _UNSET
        self._lock = threading.Lock()

    def get(self) -> T:
        value = self._value
        if value is _UNSET:
            with self._lock:
                if self._value is _UNSET:
                    self._value = self._build()
                value = self._value
        return cast(T, value)

    def set(self, value: T) -> None:
        """Install `value` (tests)."""
        with self._lock:
            self._value = value

    def reset(self) -> None:
        """Forget the value: the next use builds it again."""
        with self._lock:
            self._value = _UNSET
