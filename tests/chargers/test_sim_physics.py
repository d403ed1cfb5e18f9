"""The simulated fleet's battery physics against the planning model (CONTRACT.md units, signs, physics)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from tests.chargers.conftest import FAR
from ven.chargers import SimulatedFleet
from ven.feasibility.envelope import Envelope
from ven.feasibility.physics import trajectory_kwh
from ven.model.baseline import baseline_kw
from ven.model.fleet import EV, Fleet
from ven.model.horizon import Horizon


def test_unmanaged_evs_follow_the_baseline(clock, fleet):
    """Without setpoints every EV stores exactly the energy ven.model.baseline predicts, per interval."""
    horizon = Horizon.uniform(clock.now(), timedelta(minutes=15), 12)
    base = baseline_kw(fleet, horizon)
    expected = trajectory_kwh(fleet.energy_kwh, base, fleet.efficiency, horizon.duration_h)
    sim = SimulatedFleet(fleet, clock)
    for k in range(len(horizon)):
        np.testing.assert_allclose(sim.energy_kwh, expected[:, k], atol=1e-6)
        sim.advance(900)
    np.testing.assert_allclose(sim.energy_kwh, expected[:, -1], atol=1e-6)
    assert sim.soc[1] == pytest.approx(0.6)  # the V1G EV stopped exactly at its target


async def test_a_plan_matches_trajectory_kwh(clock, fleet):
    """Applying a safe plan's setpoints per interval reproduces ven.feasibility.physics.trajectory_kwh."""
    horizon = Horizon.uniform(clock.now(), timedelta(minutes=15), 8)
    envelope = Envelope(fleet, horizon)
    rng = np.random.default_rng(7)
    energy = fleet.energy_kwh.copy()
    columns = []
    for k in range(len(horizon)):
        lo, hi = envelope.step_bounds(k, energy)
        power = lo + rng.uniform(size=len(fleet)) * (hi - lo)
        columns.append(power)
        energy = trajectory_kwh(energy, power[:, None], fleet.efficiency, horizon.duration_h[k : k + 1])[:, 1]
    plan = np.column_stack(columns)
    assert (plan < 0).any(), "the plan should exercise discharging too"
    expected = trajectory_kwh(fleet.energy_kwh, plan, fleet.efficiency, horizon.duration_h)
    sim = SimulatedFleet(fleet, clock)
    for k in range(len(horizon)):
        result = await sim.apply(dict(zip(fleet.ids, plan[:, k], strict=True)), valid_until=FAR)
        assert result.ok
        sim.advance(900)
        reading = await sim.read()
        # The bus leaves at the end of the last interval: from then on it is unplugged and draws nothing.
        np.testing.assert_allclose(reading.power_kw, np.where(reading.plugged_in, plan[:, k], 0.0), atol=1e-9)
        np.testing.assert_allclose(sim.energy_kwh, expected[:, k + 1], atol=1e-6)
    assert not reading.plugged_in[2]


async def test_setpoints_are_limited_to_the_ev(clock, fleet):
    """An EV never draws beyond max_charge_kw nor exports beyond max_discharge_kw (0 for V1G)."""
    sim = SimulatedFleet(fleet, clock)
    result = await sim.apply({"v2g": 100.0, "v1g": -20.0, "bus": -500.0}, valid_until=FAR)
    assert result.accepted == ("v2g", "v1g", "bus")
    sim.advance(60)
    reading = await sim.read()
    np.testing.assert_allclose(reading.power_kw, [11.0, 0.0, -50.0])
    np.testing.assert_allclose(reading.setpoint_kw, [11.0, 0.0, -50.0])


async def test_battery_stops_at_full_and_empty(clock):
    """SOC stays in [0, 1]: the BMS cuts power to what fits, whatever the setpoint."""
    fleet = Fleet(
        (
            EV("full", "s", capacity_kwh=10.0, soc=0.99, max_charge_kw=11.0, max_discharge_kw=11.0),
            EV("empty", "s", capacity_kwh=10.0, soc=0.01, max_charge_kw=11.0, max_discharge_kw=11.0),
        )
    )
    sim = SimulatedFleet(fleet, clock)
    await sim.apply({"full": 11.0, "empty": -11.0}, valid_until=FAR)
    sim.advance(3600)
    np.testing.assert_allclose(sim.soc, [1.0, 0.0])
    np.testing.assert_allclose(sim.power_kw, [0.0, 0.0])


async def test_ramp_limits_the_rate_of_change(clock, fleet):
    """With ramp_kw_per_s, power moves toward the setpoint at that rate."""
    sim = SimulatedFleet(fleet, clock, ramp_kw_per_s=1.0)
    sim.advance(5)
    assert sim.power_kw[0] == pytest.approx(5.0)  # unmanaged charging ramps up from 0 too
    await sim.apply({"v2g": -10.0}, valid_until=FAR)
    sim.advance(10)
    assert sim.power_kw[0] == pytest.approx(-5.0)
    sim.advance(10)
    assert sim.power_kw[0] == pytest.approx(-10.0)


async def test_measurement_noise_is_seeded_and_leaves_physics_alone(clock, fleet):
    """Noise changes readings (reproducibly per seed), never the stored energy."""
    noisy = [SimulatedFleet(fleet, clock, noise_kw=0.5, seed=s) for s in (1, 1, 2)]
    clean = SimulatedFleet(fleet, clock)
    readings = []
    for sim in [*noisy, clean]:
        await sim.apply({"v2g": 5.0}, valid_until=FAR)
        sim.advance(10)
        readings.append(await sim.read())
    np.testing.assert_array_equal(readings[0].power_kw, readings[1].power_kw)
    assert not np.array_equal(readings[0].power_kw, readings[2].power_kw)
    assert not np.allclose(readings[0].power_kw, readings[3].power_kw)
    np.testing.assert_allclose(noisy[0].energy_kwh, clean.energy_kwh)


def test_noise_has_the_configured_spread(clock):
    """Over many EVs the noise has zero mean and noise_kw standard deviation."""
    fleet = Fleet(tuple(EV(f"ev{i}", "s", 60.0, 0.5, 11.0) for i in range(2000)))
    sim = SimulatedFleet(fleet, clock, noise_kw=0.3, seed=3)
    sim.advance(1)
    error = sim._measured - sim.power_kw
    assert abs(error.mean()) < 0.03
    assert error.std() == pytest.approx(0.3, rel=0.1)
