"""Runtime speed and memory: `python benchmarks/bench_runtime.py`.

1. oadrDistributeEvent received → event book, opt decision (the configured optimal policy's verified plan,
   in a worker thread), answer ready; then the first setpoints applied (1,000 and 10,000 EVs; targets
   ≤ 100 ms / ≤ 1 s), with the largest event-loop lag seen meanwhile (a 10 ms ticker). openleadr's XML
   parsing (~0.5 ms) is not included.
2. One closed-loop control step for 10,000 EVs (read, snapshot, plan, apply; target ≤ 200 ms).
3. Resident memory of the VEN parts with 10,000 EVs after the refined (optimal) plan (target ≤ 200 MB).
"""

from __future__ import annotations

import asyncio
import random
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleetgen import T0, make_fleet

from ven.chargers.simulated import SimulatedFleet
from ven.clock import SystemClock
from ven.dispatch.controller import DispatchController
from ven.dispatch.planner import Planner
from ven.events import EventBook, LifecycleScheduler, answer_test_events
from ven.events.opt import DEFAULT_OPT_IN_SHARE
from ven.model.fleet import Fleet
from ven.openadr.answers import convertible
from ven.openadr.models import (
    Distribution,
    EventSignal,
    EventStatus,
    OadrEvent,
    ResponseRequired,
    SignalInterval,
    Targets,
)
from ven.runtime.eventflow import EventFlow
from ven.runtime.supervisor import Supervisor
from ven.storage import Store

LEVELS = {1: 0.5, 2: 0.75, 3: 1.0}


def fleet_now(count: int, now: datetime) -> Fleet:
    """fleetgen's mixed fleet, its departures moved so they fall after `now`."""
    fleet = make_fleet(count)
    shift = now - T0
    return Fleet(
        tuple(ev if ev.departure is None else replace(ev, departure=ev.departure + shift) for ev in fleet.evs)
    )


def event_now(now: datetime, reduce_kw: float, intervals: int = 12) -> OadrEvent:
    signal = EventSignal(
        "LOAD_DISPATCH",
        "delta",
        "s1",
        tuple(SignalInterval(k, timedelta(minutes=15), -reduce_kw) for k in range(intervals)),
    )
    return OadrEvent(
        event_id="bench",
        modification_number=0,
        priority=1,
        market_context="oadr://bench",
        created=now,
        dtstart=now - timedelta(seconds=1),
        duration=timedelta(minutes=15 * intervals),
        event_status=EventStatus.ACTIVE,
        test_event=False,
        response_required=ResponseRequired.ALWAYS,
        targets=Targets(ven_id=("ven",)),
        signals=(signal,),
    )


async def bench(count: int, folder: Path) -> dict[str, float]:
    clock = SystemClock()
    now = clock.now()
    fleet = fleet_now(count, now)
    store = Store.open(folder / f"bench-{count}.db")
    gateway = SimulatedFleet(fleet, clock)
    planner = Planner("optimal")
    controller = DispatchController(gateway, fleet, planner, store, simple_levels=LEVELS, margin=0.05)
    supervisor = Supervisor(controller, store, clock, control_period=timedelta(seconds=10), time_scale=1.0)
    book = EventBook("ven", clock, random.Random(1))
    flow = EventFlow(
        book,
        store,
        clock,
        preview=controller.preview,
        policies=planner,
        deciders=(convertible, answer_test_events),
        opt_in_share=DEFAULT_OPT_IN_SHARE,
        on_change=lambda: None,
    )
    scheduler = LifecycleScheduler(
        book, clock, supervisor.on_interval_start, supervisor.on_event_end, supervisor.on_status
    )
    event = event_now(now, 0.3 * float(fleet.max_charge_kw.sum()))
    lag_s = 0.0

    async def ticker() -> None:
        nonlocal lag_s
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lag_s = max(lag_s, time.perf_counter() - before - 0.01)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    start = time.perf_counter()
    await flow.on_distribution(Distribution("r1", "VTN", (event.event_id,), (event,)))
    decision = await flow.on_event(event)
    answered_s = time.perf_counter() - start
    ticking.cancel()
    await scheduler.tick()  # interval start → plan → setpoints applied
    received_s = time.perf_counter() - start
    assert decision.opt.value == "optIn", decision
    assert controller.executing is not None
    start = time.perf_counter()
    view = book.get(event.event_id)
    assert view is not None
    await controller.step(view, clock.now())
    step_s = time.perf_counter() - start
    await asyncio.sleep(0)
    refine = controller._refine  # noqa: SLF001 - wait for the background refinement to measure memory
    if refine is not None:
        await refine
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    await controller.close()
    store.close()
    return {
        "received_to_answer_ms": answered_s * 1000,
        "loop_lag_ms": lag_s * 1000,
        "received_to_applied_ms": received_s * 1000,
        "control_step_ms": step_s * 1000,
        "peak_rss_mb": rss_mb,
    }


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for count in (1_000, 10_000):
            result = await bench(count, Path(folder))
            print(
                f"{count:>6} EVs: distribute→answer {result['received_to_answer_ms']:7.1f} ms "
                f"(event loop lag at most {result['loop_lag_ms']:5.1f} ms), "
                f"distribute→applied {result['received_to_applied_ms']:7.1f} ms, "
                f"control step {result['control_step_ms']:7.1f} ms, peak RSS {result['peak_rss_mb']:6.1f} MB"
            )
    print(f"python {sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d}")


if __name__ == "__main__":
    asyncio.run(main())
