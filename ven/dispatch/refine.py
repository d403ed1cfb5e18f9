"""Refinement off the event loop: one solve at a time, the newest problem wins, cancellable.

A large fleet gets its immediate setpoints from the quick policy; the configured (slower) policy then
refines them in a worker thread. Control steps come faster than some solves finish, so problems are not
queued: a new submission replaces the one still waiting, and at most one solve runs (one worker thread).
A thread cannot be killed, so cancelling never stops a running solve; it makes its result stale instead.
Every result reaches `deliver` with its ticket, in order, on the event loop; `is_current(ticket)` says
whether it still answers the newest problem (the caller applies only those).
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

Job = TypeVar("Job")
Result = TypeVar("Result")


class Refiner(Generic[Job, Result]):
    """Runs `solve(job)` in one worker thread and hands each result to `deliver(result, ticket)`."""

    def __init__(
        self, solve: Callable[[Job], Result], deliver: Callable[[Result, int], Awaitable[None]]
    ) -> None:
        self._solve = solve
        self._deliver = deliver
        self._executor: ThreadPoolExecutor | None = None
        self._worker: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._pending: tuple[int, Job] | None = None
        self._ticket = 0
        self.solving = False  # a solve is running in the worker thread now
        self.solves = 0  # solves started so far

    def submit(self, job: Job) -> int:
        """Solve `job` next, in place of any job still waiting; returns its ticket."""
        self._ticket += 1
        self._pending = (self._ticket, job)
        self._idle.clear()
        if self._worker is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="refine")
            self._worker = asyncio.create_task(self._run(), name="refine")
        self._wake.set()
        return self._ticket

    def cancel(self) -> None:
        """Forget the waiting job and make the running solve's result stale."""
        self._ticket += 1
        self._pending = None

    async def idle(self) -> None:
        """Until no job waits and none is solving (every result delivered)."""
        await self._idle.wait()

    def is_current(self, ticket: int) -> bool:
        """True while `ticket` is the newest submission and nothing cancelled it."""
        return ticket == self._ticket

    async def close(self) -> None:
        """Stop the worker; a solve still running finishes in its thread and its result is dropped."""
        self.cancel()
        worker, self._worker = self._worker, None
        if worker is not None:
            await _cancelled(worker)
        self._idle.set()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending is not None:
                (ticket, job), self._pending = self._pending, None
                self.solving, self.solves = True, self.solves + 1
                try:
                    result = await loop.run_in_executor(self._executor, self._solve, job)
                except Exception:  # a bug in a refinement must not stop dispatch: the quick plan stands
                    logger.exception("refinement failed; the quick plan stands")
                    continue
                finally:
                    self.solving = False
                await self._deliver(result, ticket)
            if self._pending is None:
                self._idle.set()


async def _cancelled(task: asyncio.Task[None]) -> None:
    """Cancel `task` and wait until it ends.

    The CancelledError outlives the wait (CPython 3.11 keeps a reference the collector cannot see) and its
    traceback holds the frames it passed through: cleared here, and this frame holds only the task, else
    they keep the refiner, its solver's owner and with it a whole app alive after close.
    """
    task.cancel()
    try:
        await task
    except asyncio.CancelledError as stopped:
        traceback.clear_frames(stopped.__traceback__)
