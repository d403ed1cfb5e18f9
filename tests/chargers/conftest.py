"""Shared fixtures for the charger gateway tests: a small mixed fleet and a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ven.clock import ManualClock
from ven.model.fleet import EV, Fleet

T0 = datetime(2025, 1, 15, 17, 0, tzinfo=UTC)
FAR = T0 + timedelta(days=30)  # a setpoint end no test here reaches: setpoints stand until changed


def make_fleet() -> Fleet:
    """Three EVs: V2G, V1G with a target below full, and a large V2G one leaving in 2 h."""
    evs = [
        EV("v2g", "depot", capacity_kwh=60.0, soc=0.5, max_charge_kw=11.0, max_discharge_kw=10.0),
        EV("v1g", "depot", capacity_kwh=40.0, soc=0.3, max_charge_kw=7.4, target_soc=0.6),
        EV(
            "bus",
            "depot",
            capacity_kwh=300.0,
            soc=0.7,
            max_charge_kw=50.0,
            max_discharge_kw=50.0,
            efficiency=0.9,
            departure=T0 + timedelta(hours=2),
        ),
    ]
    return Fleet(tuple(evs))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def fleet() -> Fleet:
    return make_fleet()
