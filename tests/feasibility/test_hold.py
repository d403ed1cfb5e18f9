"""The hold: the first interval's power stays safe if it stands until its setpoint expires, then baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from ven.feasibility.envelope import Envelope
from ven.feasibility.hold import hold_floor_kw
from ven.feasibility.verify import Constraint, violations
from ven.model.fleet import EV, Fleet
from ven.model.horizon import Horizon

T0 = datetime(2026, 7, 14, 20, 0, tzinfo=UTC)
BUS = {"capacity_kwh": 200.0, "max_charge_kw": 50.0, "max_discharge_kw": 100.0, "efficiency": 1.0}


def bus(**changes: object) -> EV:
    values: dict[str, object] = {
        "ev_id": "bus",
        "site": "depot",
        "soc": 0.6,
        "min_soc": 0.2,
        "departure": T0 + timedelta(hours=3),
        "departure_soc": 0.8,
        **BUS,
    }
    values.update(changes)
    return EV(**values)  # type: ignore[arg-type]


def floor_kw(ev: EV, hold_h: float) -> float:
    return float(hold_floor_kw(Fleet((ev,)), T0.timestamp(), hold_h)[0])


@pytest.mark.parametrize(
    ("hold_h", "expected_kw"),
    [
        (1.0, -60.0),  # 120 → 60 kWh in 1 h, then 2 h at 50 kW: 160 kWh (0.8) at departure
        (2.0, -5.0),  # 120 → 110 kWh in 2 h, then 1 h at 50 kW: 160 kWh
        (4.0, 40.0 / 3.0),  # held past departure (3 h): it must reach 160 kWh on its own
    ],
)
def test_departure_is_reached_by_baseline_after_the_hold(hold_h, expected_kw):
    """The lowest power to hold leaves exactly what full-rate baseline charging needs to reach departure."""
    assert floor_kw(bus(), hold_h) == pytest.approx(expected_kw)


def test_reserve_bounds_the_hold_without_a_departure():
    """No departure: held for 30 min the EV may fall to its reserve (30 → 20 kWh), no lower."""
    ev = bus(capacity_kwh=100.0, soc=0.3, departure=None)
    assert floor_kw(ev, 0.5) == pytest.approx(-20.0)


def test_an_ev_below_its_reserve_may_not_discharge():
    """Starting below min_soc, the floor is 0 kW: holding anything lower would drain it further."""
    assert floor_kw(bus(soc=0.1, departure=None), 1.0) == pytest.approx(0.0)


def test_an_ev_whose_charger_stops_below_departure_soc_keeps_what_it_has():
    """target_soc 0.5 < departure_soc 0.8. At SOC 0.6 its own charger would not charge it: no discharge.
    At 0.4 its charger would take it to 0.5 by departure (2 h): after a 1 h hold at -20 kW (to its 0.2
    reserve) baseline still does, in the hour left."""
    assert floor_kw(bus(capacity_kwh=100.0, target_soc=0.5), 1.0) == pytest.approx(0.0)
    ev = bus(capacity_kwh=100.0, soc=0.4, target_soc=0.5, departure=T0 + timedelta(hours=2))
    assert floor_kw(ev, 1.0) == pytest.approx(-20.0)


def test_where_nothing_less_is_safe_the_floor_is_full_rate():
    """Leaving in 1 h needing 160 kWh from 20: even 50 kW cannot, so the floor is max_charge_kw."""
    assert floor_kw(bus(soc=0.1, departure=T0 + timedelta(hours=1)), 1.0) == pytest.approx(50.0)


def test_an_unplugged_ev_has_nothing_to_hold():
    """Not plugged in: no floor (-inf)."""
    assert floor_kw(bus(plugged_in=False), 1.0) == -np.inf


def test_the_envelope_raises_the_first_interval_floor_to_the_hold():
    """15-minute intervals, a 1 h TTL: interval 0 may go no lower than -60 kW (not -100 kW)."""
    horizon = Horizon.uniform(T0, timedelta(minutes=15), 4)
    fleet = Fleet((bus(),))
    plain, held = Envelope(fleet, horizon), Envelope(fleet, horizon, hold_h=1.0)
    assert plain.step_bounds(0, fleet.energy_kwh)[0][0] == pytest.approx(-100.0)
    assert held.step_bounds(0, fleet.energy_kwh)[0][0] == pytest.approx(-60.0)
    assert held.hold_floor_kwh[0] == pytest.approx(120.0 - 15.0)
    np.testing.assert_array_equal(held.floor_kwh[:, 2:], plain.floor_kwh[:, 2:])


def test_a_hold_within_the_first_interval_adds_nothing():
    """A TTL shorter than interval 0: holding for the interval is the stronger condition, already there."""
    horizon = Horizon.uniform(T0, timedelta(hours=1), 2)
    fleet = Fleet((bus(),))
    np.testing.assert_allclose(
        Envelope(fleet, horizon, hold_h=0.1).floor_kwh, Envelope(fleet, horizon).floor_kwh
    )


def test_the_verifier_refuses_a_first_step_unsafe_to_hold():
    """-80 kW for the first 15 minutes is safe if corrected in time, not if it stands for the 1 h TTL."""
    horizon = Horizon.uniform(T0, timedelta(minutes=15), 4)
    envelope = Envelope(Fleet((bus(),)), horizon, hold_h=1.0)
    unsafe = violations(envelope, np.array([[-80.0, 50.0, 50.0, 50.0]]))
    assert [(v.constraint, v.interval) for v in unsafe] == [(Constraint.HOLD, 0)]
    assert violations(envelope, np.array([[-60.0, 50.0, 50.0, 50.0]])) == []
    assert violations(Envelope(Fleet((bus(),)), horizon), np.array([[-80.0, 50.0, 50.0, 50.0]])) == []
