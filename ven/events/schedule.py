"""LifecycleScheduler: calls the runtime back when an event's status or interval changes.

Why an own loop and not APScheduler date triggers (the issue names APScheduler): a date trigger fires
at a wall-clock time, but the VEN's time is whatever its Clock says. With the simulated fleet at
`time_scale` 60 a 15-minute interval lasts 15 wall seconds, and a ManualClock does not move at all
unless a test moves it. So one asyncio task asks the book for its next wakeup, sleeps until then by
the clock (wall sleep = clock seconds / time_scale, at most `max_sleep_s`, then it looks again), and
`tick()` does all work due up to `clock.now()`. The trade-off: up to `max_sleep_s` of lag if the
clock jumps, and the loop wakes at least every `max_sleep_s` (cheap: a few comparisons). `reschedule()`
wakes it at once after the book changed. Tests drive `tick()` directly, or inject `sleep` (a fake
that advances a ManualClock), so everything is deterministic.

Callbacks, awaited in this order within one tick: on_status(event_id, status) for each status change
(intermediate ones included, by time); on_event_end(view) when the VEN stops executing the event it
was dispatching (completed, cancelled, superseded by a higher-priority event, opted out); then
on_interval_start(view, k) when the interval to dispatch changes, including a new modification of
the running event (re-plan). A callback's exception stops the loop and is raised from `run()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ven.clock import Clock
    from ven.events.book import EventBook
    from ven.events.model import EventStatus
    from ven.events.view import EventView

logger = logging.getLogger(__name__)

OnIntervalStart = Callable[["EventView", int], Awaitable[None]]
OnEventEnd = Callable[["EventView"], Awaitable[None]]
OnStatus = Callable[[str, "EventStatus"], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]


class LifecycleScheduler:
    """Drives an EventBook along its Clock; see the module docstring."""

    def __init__(
        self,
        book: EventBook,
        clock: Clock,
        on_interval_start: OnIntervalStart,
        on_event_end: OnEventEnd,
        on_status: OnStatus,
        *,
        time_scale: float = 1.0,
        max_sleep_s: float = 0.5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if time_scale <= 0 or max_sleep_s <= 0:
            raise ValueError("time_scale and max_sleep_s must be positive")
        self._book = book
        self._clock = clock
        self._on_interval_start = on_interval_start
        self._on_event_end = on_event_end
        self._on_status = on_status
        self._time_scale = time_scale
        self._max_sleep_s = max_sleep_s
        self._sleep = sleep
        self._last: datetime | None = None
        self._statuses: dict[str, EventStatus] = {}
        self._running: tuple[str, int, int] | None = None  # (event_id, modification, interval)
        self._running_view: EventView | None = None
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._stopping = False

    @property
    def dispatching(self) -> EventView | None:
        """The event whose interval was last handed to on_interval_start and has not ended."""
        return self._running_view

    def reschedule(self) -> None:
        """The book changed (apply_distribution, record_answer): look again now."""
        self._wake.set()

    def stop(self) -> None:
        """Let `run()` return after the current tick."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Tick, sleep until the next wakeup (or `max_sleep_s`, or `reschedule()`), until `stop()`."""
        self._stopping = False
        while not self._stopping:
            await self.tick()
            self._wake.clear()
            if self._stopping:
                break
            await self._wait(self._sleep_s())

    async def tick(self) -> None:
        """Do everything due up to clock.now(): status callbacks, event end, interval start."""
        async with self._lock:
            now = self._clock.now()
            await self._statuses_until(now)
            await self._dispatch(now)
            self._last = now

    def _sleep_s(self) -> float:
        now = self._clock.now()
        wakeups = self._book.next_wakeups(now)
        if not wakeups:
            return self._max_sleep_s
        clock_s = (wakeups[0] - now).total_seconds()
        return max(0.0, min(self._max_sleep_s, clock_s / self._time_scale))

    async def _wait(self, seconds: float) -> None:
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()
            await asyncio.gather(sleeper, waker, return_exceptions=True)

    async def _statuses_until(self, now: datetime) -> None:
        if self._last is not None:
            for transition in self._book.transitions(self._last, now):
                await self._report(transition.event_id, transition.status)
        views = self._book.views()
        for view in views:
            await self._report(view.event_id, view.status(now))
        known = {v.event_id for v in views}
        for event_id in [i for i in self._statuses if i not in known]:
            del self._statuses[event_id]

    async def _report(self, event_id: str, status: EventStatus) -> None:
        if self._statuses.get(event_id) is not status:
            self._statuses[event_id] = status
            logger.info("event %s is %s", event_id, status.value)
            await self._on_status(event_id, status)

    async def _dispatch(self, now: datetime) -> None:
        current = self._book.current_interval(now)
        key = (
            None
            if current is None
            else (current.view.event_id, current.view.modification_number, current.index)
        )
        if key == self._running:
            return
        previous = self._running_view
        if previous is not None and (current is None or current.view.event_id != previous.event_id):
            self._running, self._running_view = None, None
            await self._on_event_end(self._book.get(previous.event_id) or previous)
        if current is not None:
            self._running, self._running_view = key, current.view
            await self._on_interval_start(current.view, current.index)
