"""Simulated time: driven by the injected clock at time_scale, by hand with advance(), or by a task."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from ven.chargers import ChargerGateway, SimulatedFleet


def test_simulated_fleet_is_a_charger_gateway(clock, fleet):
    """The simulator implements the same seam the OCPP backend will."""
    assert isinstance(SimulatedFleet(fleet, clock), ChargerGateway)


async def test_time_scale_runs_simulated_time_faster(clock, fleet):
    """With time_scale=60 one wall minute is one simulated hour, and readings carry simulated time."""
    sim = SimulatedFleet(fleet, clock, time_scale=60.0)
    t0 = clock.now()
    clock.advance(timedelta(seconds=30))
    assert sim.now() == t0 + timedelta(minutes=30)
    clock.advance(timedelta(seconds=30))
    reading = await sim.read()
    assert reading.timestamp == t0 + timedelta(hours=1)
    assert sim.energy_kwh[0] == pytest.approx(30.0 + 0.92 * 11.0)


async def test_advance_adds_to_clock_time(clock, fleet):
    """advance() moves simulated time on top of the clock; later clock time continues from there."""
    sim = SimulatedFleet(fleet, clock, time_scale=2.0)
    t0 = clock.now()
    sim.advance(100)
    clock.advance(timedelta(seconds=10))
    sim.sync()
    assert (await sim.read()).timestamp == t0 + timedelta(seconds=120)
    with pytest.raises(ValueError, match="negative"):
        sim.advance(-1)


async def test_background_task_follows_the_clock(clock, fleet):
    """After start() a task keeps simulated time in step with the clock; close() stops it."""
    sim = SimulatedFleet(fleet, clock, time_scale=10.0, tick_s=0.001)
    await sim.start()
    await sim.start()  # idempotent
    t0 = clock.now()
    clock.advance(timedelta(seconds=6))
    async with asyncio.timeout(5):  # a hang guard: the task catches up within a few ticks
        while sim._t < (t0 + timedelta(seconds=60)).timestamp():
            await asyncio.sleep(0.001)
    assert sim._t == pytest.approx((t0 + timedelta(seconds=60)).timestamp())
    await sim.close()
    await sim.close()
    clock.advance(timedelta(seconds=6))
    for _ in range(20):  # every chance a leftover task would have to run
        await asyncio.sleep(0)
    assert sim._t == pytest.approx((t0 + timedelta(seconds=60)).timestamp())


def test_invalid_settings_are_refused(clock, fleet):
    """Non-positive time scale or ramp, or negative noise, are refused at construction."""
    for bad in ({"time_scale": 0.0}, {"ramp_kw_per_s": 0.0}, {"noise_kw": -1.0}, {"step_s": 0.0}):
        with pytest.raises(ValueError, match="must"):
            SimulatedFleet(fleet, clock, **bad)
