"""The simulator is fast enough for 10,000 EVs (one step well under 10 ms, apply well under 50 ms)."""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np

from ven.chargers import SimulatedFleet
from ven.model.fleet import EV, Fleet

N = 10_000


def big_fleet(now) -> Fleet:
    rng = np.random.default_rng(0)
    return Fleet(tuple(
        EV(f"ev{i:05d}", "site", capacity_kwh=60.0, soc=float(rng.uniform(0.2, 0.9)), max_charge_kw=11.0,
           max_discharge_kw=10.0, departure=now + timedelta(seconds=float(rng.uniform(600, 7200))))
        for i in range(N)
    ))


def best_of(repeats: int, action) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


async def test_ten_thousand_evs_step_and_apply_fast(clock):
    """10,000 EVs: one step < 10 ms; apply() and read() of 10,000 setpoints < 50 ms."""
    sim = SimulatedFleet(big_fleet(clock.now()), clock, ramp_kw_per_s=2.0, noise_kw=0.1)
    setpoints = dict.fromkeys(sim.ev_ids, -5.0)
    step_s = best_of(20, lambda: sim.advance(1.0))
    started = time.perf_counter()
    result = await sim.apply(setpoints)
    apply_s = time.perf_counter() - started
    started = time.perf_counter()
    reading = await sim.read()
    read_s = time.perf_counter() - started
    print(f"\n10k EVs: step {step_s * 1e3:.2f} ms, apply {apply_s * 1e3:.1f} ms, read {read_s * 1e3:.2f} ms")
    assert len(result.accepted) == N
    assert len(reading) == N
    assert step_s < 0.010
    assert apply_s < 0.050
    assert read_s < 0.050
