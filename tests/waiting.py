"""Waiting on conditions in tests: poll a predicate until it holds. The timeout only guards against hangs;
the one pause between polls lives here, so no test paces itself with a sleep."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

POLL_S = 0.02  # between two looks at an in-process condition
HANG_GUARD_S = 30.0


async def until(
    predicate: Callable[[], Any], timeout_s: float = HANG_GUARD_S, what: str = "condition"
) -> Any:
    """Await until `predicate()` (awaited when it returns an awaitable) is truthy and return that value;
    AssertionError naming `what` after `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout_s:g} s: {what}")
        await asyncio.sleep(POLL_S)


def wait_until(predicate: Callable[[], Any], timeout_s: float, what: str, step_s: float = 0.25) -> Any:
    """The same for blocking code (other processes, HTTP): TimeoutError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout_s:g} s: {what}")
        time.sleep(step_s)
