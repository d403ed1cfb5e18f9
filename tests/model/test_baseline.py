"""The baseline of CONTRACT.md: full rate while plugged in and below target, a partial last step, then 0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ven.model.baseline import availability, baseline_kw
from ven.model.fleet import EV, Fleet
from ven.model.horizon import Horizon

T0 = datetime(2026, 7, 14, 20, 0, tzinfo=UTC)
HOUR = Horizon.uniform(T0, timedelta(minutes=15), 4)


def test_full_rate_then_partial_step_then_zero():
    """10 kWh short at 20 kW, eff 1: 5 kWh per 15 min → 20, 20, 0, 0."""
    ev = EV("a", "s", capacity_kwh=100, soc=0.9, max_charge_kw=20, efficiency=1.0)
    assert baseline_kw(Fleet((ev,)), HOUR)[0].tolist() == [20.0, 20.0, 0.0, 0.0]
    ev = EV("a", "s", capacity_kwh=100, soc=0.92, max_charge_kw=20, efficiency=1.0)
    assert baseline_kw(Fleet((ev,)), HOUR)[0] == pytest.approx([20.0, 12.0, 0.0, 0.0])


def test_efficiency_stretches_charging():
    """With eff 0.8 a 4 kWh gap needs 5 kWh from the grid: 20 kW for 15 min."""
    ev = EV("a", "s", capacity_kwh=100, soc=0.96, max_charge_kw=40, efficiency=0.8)
    assert baseline_kw(Fleet((ev,)), HOUR)[0] == pytest.approx([20.0, 0.0, 0.0, 0.0])


def test_stops_at_target_not_at_full():
    """target_soc 0.8: an EV at 0.8 draws nothing, one above it does not discharge."""
    evs = (
        EV("at", "s", 100, 0.8, 20, target_soc=0.8),
        EV("above", "s", 100, 0.95, 20, max_discharge_kw=20, target_soc=0.8),
    )
    assert baseline_kw(Fleet(evs), HOUR).tolist() == [[0.0] * 4, [0.0] * 4]


def test_departure_and_plug_state_end_availability():
    """Departing at 20:40 leaves the 20:30–20:45 interval out; an unplugged EV is never available."""
    evs = (
        EV("leaves", "s", 100, 0.1, 10, departure=T0 + timedelta(minutes=40)),
        EV("away", "s", 100, 0.1, 10, plugged_in=False),
    )
    fleet = Fleet(evs)
    assert availability(fleet, HOUR).tolist() == [[True, True, False, False], [False] * 4]
    assert baseline_kw(fleet, HOUR).tolist() == [[10.0, 10.0, 0.0, 0.0], [0.0] * 4]


def test_departure_exactly_at_interval_end_counts_as_available():
    """Available when departure is not before the interval's end."""
    ev = EV("a", "s", 100, 0.1, 10, departure=T0 + timedelta(minutes=30))
    assert availability(Fleet((ev,)), HOUR)[0].tolist() == [True, True, False, False]
