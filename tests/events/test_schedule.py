"""LifecycleScheduler over a ManualClock: callbacks in order, re-plans, and its own loop."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from ven.clock import ManualClock
from ven.events import EventBook, EventView, LifecycleScheduler
from ven.events.model import EventStatus as Live
from ven.events.model import VtnStatus

from .conftest import QUARTER, START, distribution, make_event, opt_in


class Recorder:
    """Collects every callback as a tuple, in call order."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    async def interval(self, view: EventView, k: int) -> None:
        self.calls.append(("interval", view.event_id, view.modification_number, k))

    async def end(self, view: EventView) -> None:
        self.calls.append(("end", view.event_id))

    async def status(self, event_id: str, status: Live) -> None:
        self.calls.append(("status", event_id, status))

    def scheduler(self, book: EventBook, clock: ManualClock, **kwargs: object) -> LifecycleScheduler:
        return LifecycleScheduler(book, clock, self.interval, self.end, self.status, **kwargs)  # type: ignore[arg-type]


async def test_ticks_report_statuses_intervals_and_end(book: EventBook, clock: ManualClock) -> None:
    """Far, near, active with one call per interval, then completed and the end."""
    seen = Recorder()
    scheduler = seen.scheduler(book, clock)
    book.apply_distribution(distribution(make_event(values=(-1.0, -2.0), ramp_up=timedelta(minutes=5))))
    opt_in(book, "e1")
    await scheduler.tick()
    for t in (START - timedelta(minutes=5), START, START + QUARTER, START + 2 * QUARTER):
        clock.set(t)
        await scheduler.tick()
    assert seen.calls == [
        ("status", "e1", Live.FAR),
        ("status", "e1", Live.NEAR),
        ("status", "e1", Live.ACTIVE),
        ("interval", "e1", 0, 0),
        ("interval", "e1", 0, 1),
        ("status", "e1", Live.COMPLETED),
        ("end", "e1"),
    ]
    assert scheduler.dispatching is None


async def test_late_tick_reports_skipped_statuses_and_current_interval_only(
    book: EventBook, clock: ManualClock
) -> None:
    """A tick after a long pause reports every status in order but dispatches only the live interval."""
    seen = Recorder()
    scheduler = seen.scheduler(book, clock)
    await scheduler.tick()
    book.apply_distribution(distribution(make_event(ramp_up=timedelta(minutes=5))))
    opt_in(book, "e1")
    clock.set(START + 2 * QUARTER + timedelta(seconds=1))
    await scheduler.tick()
    assert seen.calls == [
        ("status", "e1", Live.NEAR),
        ("status", "e1", Live.ACTIVE),
        ("interval", "e1", 0, 2),
    ]


async def test_modification_replans_and_cancellation_ends(book: EventBook, clock: ManualClock) -> None:
    """A new modification of the running event re-dispatches (still undecided: the opt-in stands);
    a cancellation ends it."""
    seen = Recorder()
    scheduler = seen.scheduler(book, clock)
    book.apply_distribution(distribution(make_event()))
    opt_in(book, "e1")
    clock.set(START)
    await scheduler.tick()
    book.apply_distribution(distribution(make_event(modification_number=1, values=(-9.0,) * 4)))
    await scheduler.tick()
    book.apply_distribution(distribution(make_event(modification_number=2, status=VtnStatus.CANCELLED)))
    await scheduler.tick()
    assert seen.calls[-4:] == [
        ("interval", "e1", 0, 0),
        ("interval", "e1", 1, 0),
        ("status", "e1", Live.CANCELLED),
        ("end", "e1"),
    ]


async def test_own_loop_follows_a_fast_clock(book: EventBook, clock: ManualClock) -> None:
    """run() sleeps by the clock: at time_scale 1000 it wakes exactly at each interval start, never
    sleeping more than max_sleep_s of wall time (the sleep here moves the manual clock)."""
    started: list[tuple[int, object]] = []
    slept: list[float] = []

    async def interval(view: EventView, k: int) -> None:
        started.append((k, clock.now()))

    async def ignore(*_: object) -> None:
        return None

    async def fake_sleep(wall_s: float) -> None:
        slept.append(wall_s)
        clock.advance(timedelta(seconds=wall_s * 1000))
        if clock.now() >= START + 5 * QUARTER:
            scheduler.stop()
        await asyncio.sleep(0)

    scheduler = LifecycleScheduler(book, clock, interval, ignore, ignore, time_scale=1000.0, sleep=fake_sleep)
    book.apply_distribution(distribution(make_event()))
    opt_in(book, "e1")
    await asyncio.wait_for(scheduler.run(), timeout=5)
    assert started == [(k, START + k * QUARTER) for k in range(4)]
    assert max(slept) == 0.5
    assert min(slept) > 0  # no busy loop


async def test_reschedule_wakes_the_loop(book: EventBook, clock: ManualClock) -> None:
    """reschedule() ends the wait at once, so a new event is seen without waiting out the sleep (here
    one that never ends)."""
    seen = Recorder()
    waiting = asyncio.Event()

    async def endless_sleep(_seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    scheduler = seen.scheduler(book, clock, sleep=endless_sleep)
    task = asyncio.create_task(scheduler.run())
    await asyncio.wait_for(waiting.wait(), timeout=5)
    book.apply_distribution(distribution(make_event()))
    scheduler.reschedule()
    async with asyncio.timeout(5):  # a hang guard: without the wake-up it would wait forever
        while not seen.calls:
            await asyncio.sleep(0)
    scheduler.stop()
    await asyncio.wait_for(task, timeout=5)
    assert seen.calls == [("status", "e1", Live.FAR)]
