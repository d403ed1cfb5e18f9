"""Closed-loop dispatch measures against the event's baseline frozen at its start, not a recomputed one."""

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

BUS = {
    "capacity_kwh": 200.0,
    "max_charge_kw": 60.0,
    "max_discharge_kw": 60.0,
    "efficiency": 1.0,
    "min_soc": 0.2,
}


TTL = timedelta(minutes=10)  # two control periods of the 5-minute steps below


def depot() -> Fleet:
    """Four buses at 80 %: the baseline charges all four at 60 kW for the first 15-minute interval."""
    return Fleet(tuple(EV(f"bus{i}", "depot", soc=0.8, **BUS) for i in range(4)))  # type: ignore[arg-type]


async def run_event(tmp_path, steps: int) -> tuple[DispatchController, SimulatedFleet, Store, list[float]]:
    clock = ManualClock(START)
    fleet = depot()
    sim = SimulatedFleet(fleet, clock)
    store = Store.open(tmp_path / "ven.db")
    controller = DispatchController(
        sim, fleet, Planner("optimal"), store, simple_levels={}, margin=0.05, setpoint_ttl=TTL
    )
    book = EventBook("ven-1", clock, random.Random(0))  # noqa: S311 - start randomisation only
    book.apply_distribution(distribution(make_event(values=(-400.0, -400.0, -400.0, -400.0))))
    view = book.get("e1")
    assert view is not None
    baselines = []
    for _ in range(steps):
        await controller.step(view, clock.now())
        baselines.append(controller.baseline_now_kw() or 0.0)
        clock.advance(timedelta(minutes=5))
    return controller, sim, store, baselines


async def test_baseline_stays_at_its_frozen_value_while_the_fleet_exports(tmp_path):
    """Reducing 400 kW (exporting) for 45 min does not raise the reported baseline: it is the no-event one."""
    _, sim, store, baselines = await run_event(tmp_path, steps=9)
    # No event: each bus at 80 % needs 40 kWh → 60 kW for 40 min: 240 kW in the first two intervals,
    # then 10 kWh per bus in the third, 40 kW each on average: 160 kW.
    assert baselines[:6] == pytest.approx([240.0] * 6)
    assert baselines[6:] == pytest.approx([160.0] * 3)
    reading = await sim.read()
    assert reading.total_power_kw == pytest.approx(160.0 - 400.0, abs=1e-6)
    store.close()


async def test_a_restarted_controller_reuses_the_stored_baseline(tmp_path):
    """The frozen baseline lives in the store: a new controller on the same database measures the same."""
    _, sim, store, _ = await run_event(tmp_path, steps=4)
    store.close()
    clock = ManualClock(START + timedelta(minutes=20))
    reopened = Store.open(tmp_path / "ven.db")
    fleet = sim.snapshot()  # SOC now well below 80 %: a recomputed baseline would be 240 kW
    controller = DispatchController(
        SimulatedFleet(fleet, clock),
        fleet,
        Planner("fair"),
        reopened,
        simple_levels={},
        margin=0.05,
        setpoint_ttl=TTL,
    )
    book = EventBook("ven-1", clock, random.Random(0))  # noqa: S311
    book.apply_distribution(distribution(make_event(values=(-400.0, -400.0, -400.0, -400.0))))
    view = book.get("e1")
    assert view is not None
    await controller.step(view, clock.now())
    assert controller.baseline_now_kw() == pytest.approx(240.0)
    reopened.close()
