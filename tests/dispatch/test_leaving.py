"""An EV leaving part-way through an interval is charged for its departure, not left idle."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from tests.events.conftest import START, distribution, make_event
from ven.chargers.simulated import SimulatedFleet
from ven.clock import ManualClock
from ven.dispatch.controller import DispatchController
from ven.dispatch.planner import Planner
from ven.events import EventBook
from ven.model.fleet import EV, Fleet
from ven.storage import Store


async def test_an_ev_leaving_mid_interval_still_reaches_its_departure_soc(tmp_path):
    """Car leaves at 18:20 needing 0.8; the plan gives it 0 for 18:15–18:30 (not available for the whole
    interval), so the VEN charges it for the last 5 minutes itself — without, it would leave at 0.775."""
    car = EV(
        "car",
        "home",
        capacity_kwh=200.0,
        soc=0.7,
        max_charge_kw=60.0,
        max_discharge_kw=60.0,
        efficiency=1.0,
        departure=START + timedelta(minutes=20),
        departure_soc=0.8,
        min_soc=0.2,
    )
    bus = EV(
        "bus",
        "depot",
        capacity_kwh=200.0,
        soc=0.9,
        max_charge_kw=60.0,
        max_discharge_kw=60.0,
        efficiency=1.0,
        min_soc=0.2,
    )
    fleet = Fleet((car, bus))
    clock = ManualClock(START)
    sim = SimulatedFleet(fleet, clock)
    store = Store.open(tmp_path / "ven.db")
    controller = DispatchController(
        sim,
        fleet,
        Planner("optimal"),
        store,
        simple_levels={},
        margin=0.0,
        setpoint_ttl=timedelta(minutes=30),
    )
    book = EventBook("ven-1", clock, random.Random(0))  # noqa: S311 - start randomisation only
    book.apply_distribution(distribution(make_event(values=(-50.0, -50.0))))
    view = book.get("e1")
    assert view is not None
    await controller.step(view, clock.now())
    clock.advance(timedelta(minutes=15))
    await controller.step(view, clock.now())
    reading = await sim.read()
    assert dict(zip(reading.ev_ids, reading.setpoint_kw, strict=True))["car"] == pytest.approx(60.0)
    clock.advance(timedelta(minutes=10))
    reading = await sim.read()
    car_state = reading.ev("car")
    assert not car_state.plugged_in
    assert car_state.soc == pytest.approx(0.8, abs=1e-6)
    store.close()
