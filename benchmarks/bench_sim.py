"""Simulated fleet speed with 10,000 EVs: `python benchmarks/bench_sim.py` (one step, apply, read)."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

import numpy as np
from report import machine, median_of

from ven.chargers import SimulatedFleet
from ven.clock import ManualClock
from ven.model.fleet import EV, Fleet

N = 10_000


def big_fleet(now) -> Fleet:
    rng = np.random.default_rng(0)
    return Fleet(
        tuple(
            EV(
                f"ev{i:05d}",
                "site",
                capacity_kwh=60.0,
                soc=float(rng.uniform(0.2, 0.9)),
                max_charge_kw=11.0,
                max_discharge_kw=10.0,
                departure=now + timedelta(seconds=float(rng.uniform(600, 7200))),
            )
            for i in range(N)
        )
    )


REPEATS = 20


async def median_async(repeats: int, action) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = await action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


async def bench() -> None:
    print(machine())
    clock = ManualClock(datetime(2026, 7, 14, 20, 0, tzinfo=UTC))
    sim = SimulatedFleet(big_fleet(clock.now()), clock, ramp_kw_per_s=2.0, noise_kw=0.1)
    setpoints = dict.fromkeys(sim.ev_ids, -5.0)
    step_s, _ = median_of(REPEATS, lambda: sim.advance(1.0))
    apply_s, result = await median_async(REPEATS, lambda: sim.apply(setpoints))
    read_s, reading = await median_async(REPEATS, sim.read)
    assert len(result.accepted) == N
    assert len(reading) == N
    print(f"median of {REPEATS} calls each")
    print(
        f"simulated fleet, {N:,} EVs: step {step_s * 1e3:.2f} ms, apply {apply_s * 1e3:.1f} ms, "
        f"read {read_s * 1e3:.2f} ms"
    )


if __name__ == "__main__":
    asyncio.run(bench())
