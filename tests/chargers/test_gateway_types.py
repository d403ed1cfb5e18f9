"""The typed records of the gateway seam."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ven.chargers import FleetReading


def reading(clock) -> FleetReading:
    return FleetReading(
        timestamp=clock.now(),
        ev_ids=("a", "b", "c"),
        power_kw=np.array([11.0, -5.0, np.nan]),
        soc=np.array([0.5, 0.6, np.nan]),
        plugged_in=np.array([True, True, False]),
        online=np.array([True, True, False]),
        setpoint_kw=np.array([np.nan, -5.0, np.nan]),
        faults={"c": "offline"},
    )


def test_fleet_reading_totals(clock):
    """Totals ignore unknown (NaN) measurements and split charging from discharging."""
    r = reading(clock)
    assert len(r) == 3
    assert r.total_power_kw == 6.0
    assert r.charging_kw == 11.0
    assert r.discharging_kw == 5.0
    assert r.plugged_in_count == 2
    assert r.online_count == 2


def test_fleet_reading_per_ev_records(clock):
    """ev() and iteration give per-EV records; a NaN setpoint is None (unmanaged)."""
    r = reading(clock)
    a, b, c = list(r)
    assert a.setpoint_kw is None
    assert b.setpoint_kw == -5.0
    assert math.isnan(c.soc)
    assert r.ev("c").fault == "offline"
    assert r.index("b") == 1
    with pytest.raises(KeyError):
        r.ev("zzz")


def test_fleet_reading_is_read_only_and_checked(clock):
    """Columns are read-only copies, and must match ev_ids in length."""
    power = np.array([1.0, 2.0, 3.0])
    r = FleetReading(clock.now(), ("a", "b", "c"), power, power, np.ones(3, bool), np.ones(3, bool), power)
    power[0] = 99.0
    assert r.power_kw[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        r.power_kw[0] = 5.0
    with pytest.raises(ValueError, match="shape"):
        FleetReading(clock.now(), ("a",), power, power, np.ones(3, bool), np.ones(3, bool), power)
