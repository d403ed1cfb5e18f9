"""The VEN as `ven run` assembles it: `python benchmarks/bench_runtime.py [--repeats 3]`.

Each fleet size runs in a fresh process that writes a fleet file and a ven.toml (simulated chargers,
SQLite, policy `optimal`, every other setting at its default: quick policy and budget, departure guard,
opt-in share) and builds the app with `VenApp.build`, as `ven run --config` does. Per repetition, a new
app in a new folder:
1. oadrDistributeEvent handed to the event flow → opt decision and answer ready (with the largest
   event-loop lag seen meanwhile, a 10 ms ticker), then → first setpoints applied (the scheduler's
   interval start); openleadr's XML parsing (~0.5 ms) is not included;
2. one closed-loop control step (read, snapshot, plan, apply);
3. then the refined `optimal` plan is awaited; the process's peak RSS is read after the last repetition.
Reported: median of --repeats for 1 and 2, and that peak RSS (targets: ≤ 100 ms / ≤ 1 s for 1 at
1,000 / 10,000 EVs, ≤ 200 ms for 2 and ≤ 200 MiB at 10,000, as RESULTS.md has always measured it).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleetgen import T0, make_fleet
from report import in_fresh_process, machine, markdown, peak_rss_mib

from ven.clock import SystemClock
from ven.events import LifecycleScheduler
from ven.events.model import (
    Distribution,
    DrEvent,
    EventSignal,
    ResponseRequired,
    SignalInterval,
    SignalKind,
    Targets,
    VtnStatus,
)
from ven.model.fleet import Fleet
from ven.runtime.app import VenApp
from ven.runtime.config import load_config

CONFIG = """\
[ven]
name = "bench"
vtn_url = "http://127.0.0.1:9/OpenADR2/Simple/2.0b"
[fleet]
file = "fleet.csv"
[chargers]
backend = "simulated"
[dispatch]
policy = "optimal"
[storage]
url = "sqlite:///ven.db"
[http]
listen = ""
"""
COLUMNS = (
    "ev_id", "site", "capacity_kwh", "soc", "max_charge_kw", "max_discharge_kw", "min_soc", "target_soc",
    "departure", "departure_soc", "efficiency", "plugged_in", "priority",
)  # fmt: skip


def write_fleet(path: Path, fleet: Fleet) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for ev in fleet.evs:
            row = [getattr(ev, name) for name in COLUMNS]
            row[COLUMNS.index("departure")] = "" if ev.departure is None else ev.departure.isoformat()
            row[COLUMNS.index("plugged_in")] = "true" if ev.plugged_in else "false"
            writer.writerow(row)


def fleet_now(count: int, now: datetime) -> Fleet:
    """fleetgen's mixed fleet, its departures moved so that they fall after `now`."""
    shift = now - T0
    fleet = make_fleet(count)
    return Fleet(
        tuple(ev if ev.departure is None else replace(ev, departure=ev.departure + shift) for ev in fleet.evs)
    )


def event_now(now: datetime, reduce_kw: float, intervals: int = 12) -> DrEvent:
    signal = EventSignal(
        SignalKind.LOAD_DELTA,
        "LOAD_DISPATCH",
        "s1",
        tuple(SignalInterval(k, timedelta(minutes=15), -reduce_kw) for k in range(intervals)),
        type="delta",
    )
    return DrEvent(
        event_id="bench",
        modification_number=0,
        priority=1,
        market_context="oadr://bench",
        created=now,
        dtstart=now - timedelta(seconds=1),
        duration=timedelta(minutes=15 * intervals),
        event_status=VtnStatus.ACTIVE,
        test_event=False,
        response_required=ResponseRequired.ALWAYS,
        targets=Targets(ven_id=("ven",)),
        signals=(signal,),
    )


async def once(count: int, folder: Path) -> dict[str, float]:
    """One app, built from a config like `ven run`'s; the event handled and one control step."""
    write_fleet(folder / "fleet.csv", fleet_now(count, SystemClock().now()))
    (folder / "ven.toml").write_text(CONFIG, encoding="utf-8")
    app = VenApp.build(load_config(folder / "ven.toml"))
    app.book.ven_id = "ven"  # what registration sets before the first oadrDistributeEvent
    scheduler = LifecycleScheduler(
        app.book,
        app.clock,
        app.supervisor.on_interval_start,
        app.supervisor.on_event_end,
        app.supervisor.on_status,
        time_scale=app.config.chargers.time_scale,
    )
    app.supervisor.scheduler = scheduler
    try:
        event = event_now(app.clock.now(), 0.3 * float(app.fleet.max_charge_kw.sum()))
        lag = _LoopLag()
        ticking = asyncio.create_task(lag.run())
        await asyncio.sleep(0.02)
        started = time.perf_counter()
        await app.flow.on_distribution(Distribution("r1", "VTN", (event.event_id,), (event,)))
        decision = await app.flow.on_event(event)
        answered_s = time.perf_counter() - started
        ticking.cancel()
        await scheduler.tick()  # interval start → plan → setpoints applied
        received_s = time.perf_counter() - started
        assert decision.opt.value == "optIn", decision
        assert app.controller.executing is not None
        view = app.book.get(event.event_id)
        assert view is not None
        started = time.perf_counter()
        await app.controller.step(view, app.clock.now())
        step_s = time.perf_counter() - started
        await app.controller._refiner.idle()  # noqa: SLF001 - the background refinement, awaited for memory
    finally:
        await app.controller.close()
        await app.gateway.close()
        app.store.close()
    return {
        "answer_ms": answered_s * 1e3,
        "lag_ms": lag.worst_s * 1e3,
        "received_ms": received_s * 1e3,
        "step_ms": step_s * 1e3,
    }


class _LoopLag:
    """The longest the event loop was late for a 10 ms sleep."""

    def __init__(self) -> None:
        self.worst_s = 0.0

    async def run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            self.worst_s = max(self.worst_s, time.perf_counter() - before - 0.01)


async def repeated(count: int, repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            runs.append(await once(count, Path(folder)))
    return {
        **{key: statistics.median(run[key] for run in runs) for key in runs[0]},
        "rss_mib": peak_rss_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3, help="apps per fleet size (median reported)")
    parser.add_argument("--one", type=int, metavar="EVS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(asyncio.run(repeated(args.one, args.repeats))))
        return
    print(machine())
    print(f"median of {args.repeats} apps per size (each built by VenApp.build); RSS: the process's peak")
    results = {
        count: in_fresh_process("bench_runtime.py", "--one", str(count), "--repeats", str(args.repeats))
        for count in (1_000, 10_000)
    }
    rows = [
        ("oadrDistributeEvent handled → opt decision, answer ready", "answer_ms", "ms"),
        ("largest event-loop lag meanwhile", "lag_ms", "ms"),
        ("oadrDistributeEvent handled → opt decision, plan, first setpoints applied", "received_ms", "ms"),
        ("one closed-loop control step (read, snapshot, plan, apply)", "step_ms", "ms"),
        ("process peak RSS, after the refined `optimal` plan", "rss_mib", "MiB"),
    ]
    targets = ("", "", "≤ 100 ms / ≤ 1 s", "≤ 200 ms at 10,000", "≤ 200 MiB at 10,000")
    print()
    print(
        markdown(
            ["", "1,000 EVs", "10,000 EVs", "target"],
            [
                [label, *(f"{results[n][key]:.0f} {unit}" for n in results), target]
                for (label, key, unit), target in zip(rows, targets, strict=True)
            ],
        )
    )


if __name__ == "__main__":
    main()
