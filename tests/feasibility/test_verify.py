"""The verifier catches each kind of hard-constraint breach, and the envelope's ranges are safe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import fleets, horizons
from ven.errors import SafetyViolationError
from ven.feasibility.envelope import Envelope
from ven.feasibility.physics import energy_delta_kwh
from ven.feasibility.verify import Constraint, verify, violations
from ven.model.fleet import EV, Fleet
from ven.model.horizon import Horizon

T0 = datetime(2026, 7, 14, 20, 0, tzinfo=UTC)
HORIZON = Horizon.uniform(T0, timedelta(hours=1), 2)


def kinds(ev: EV, power: list[float]) -> set[Constraint]:
    envelope = Envelope(Fleet((ev,)), HORIZON)
    return {v.constraint for v in violations(envelope, np.array([power]))}


def test_power_limits():
    """Above max_charge_kw, and discharging a V1G-only EV, are both power-limit breaches."""
    ev = EV("a", "s", 100, 0.5, 10, max_discharge_kw=0)
    assert kinds(ev, [11, 0]) == {Constraint.POWER_LIMIT}
    assert kinds(ev, [0, -1]) == {Constraint.POWER_LIMIT}


def test_reserve_and_full():
    """Draining below min_soc and overfilling beyond SOC 1 are caught."""
    ev = EV("a", "s", 100, 0.3, 50, max_discharge_kw=50, min_soc=0.2, efficiency=1.0)
    assert Constraint.RESERVE in kinds(ev, [-20, 0])
    assert Constraint.FULL in kinds(EV("b", "s", 100, 0.9, 50, efficiency=1.0), [20, 0])


def test_starting_below_reserve_forbids_any_discharge():
    """An EV that starts below min_soc may not discharge even a little."""
    ev = EV("a", "s", 100, 0.1, 50, max_discharge_kw=50, min_soc=0.2)
    assert Constraint.POWER_LIMIT in kinds(ev, [-1, 0])
    assert kinds(ev, [5, 0]) == set()


def test_unplugged_ev_must_be_idle():
    """Power for an interval the EV is not available is a breach."""
    ev = EV("a", "s", 100, 0.5, 10, departure=T0 + timedelta(minutes=90))
    assert kinds(ev, [10, 0]) == set()
    assert kinds(ev, [10, 1]) == {Constraint.UNAVAILABLE}


def test_departure_soc_must_stay_reachable():
    """Needing 0.8 at 22:30 on a 20 kW charger, the EV must hold ≥ 70 kWh at 22:00."""
    ev = EV("a", "s", 100, 0.7, 20, departure=T0 + timedelta(hours=2.5), efficiency=1.0, departure_soc=0.8)
    assert kinds(ev, [0, 0]) == set()
    assert kinds(ev, [-0.001, 0]) >= {Constraint.POWER_LIMIT, Constraint.DEPARTURE}
    ev = EV("a", "s", 100, 0.5, 20, max_discharge_kw=20, departure=T0 + timedelta(hours=2.5), efficiency=1.0)
    assert Constraint.DEPARTURE in kinds(ev, [10, 0])


def test_hopeless_ev_must_charge_flat_out():
    """0.1 → 0.9 with 20 kW over 2 h is impossible: anything less than 20 kW is a breach."""
    ev = EV("a", "s", 100, 0.1, 20, departure=T0 + timedelta(hours=2), departure_soc=0.9)
    assert Envelope(Fleet((ev,)), HORIZON).hopeless[0]
    assert kinds(ev, [20, 20]) == set()
    assert kinds(ev, [19, 20]) == {Constraint.FLAT_OUT}


def test_verify_raises_with_the_breaches_named():
    """verify() is the last guard: it raises and says which EV and constraint."""
    ev = EV("bus-7", "s", 100, 0.5, 10)
    with pytest.raises(SafetyViolationError, match="bus-7"):
        verify(Envelope(Fleet((ev,)), HORIZON), np.array([[50.0, 0.0]]))


@given(fleets(), horizons(), st.data())
def test_any_walk_inside_step_bounds_passes_the_verifier(fleet, horizon, data):
    """Whatever point of each step's [lo, hi] is taken, the result never breaks a hard constraint."""
    envelope = Envelope(fleet, horizon)
    energy = fleet.energy_kwh.copy()
    power = np.zeros((len(fleet), len(horizon)))
    for k, dt_h in enumerate(horizon.duration_h):
        lo, hi = envelope.step_bounds(k, energy)
        assert np.all(lo <= hi)
        weights = np.array(data.draw(st.lists(st.floats(0, 1), min_size=len(fleet), max_size=len(fleet))))
        power[:, k] = lo + weights * (hi - lo)
        energy = energy + energy_delta_kwh(power[:, k], fleet.efficiency, float(dt_h))
    assert violations(envelope, power) == []
