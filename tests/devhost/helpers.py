"""Shared helpers for the devhost tests that run a DevHost: the sample apps and polling."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

APPS = Path(__file__).parent / "apps"
T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T | None]], *, timeout: float = 20.0, every: float = 0.1) -> T:
    """Poll `check` until it returns something truthy; fail (not assert timing) if it never does."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(every)
