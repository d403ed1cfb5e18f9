"""A plug-out or a charger that refuses setpoints makes the VEN re-dispatch at once, around that EV."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from types import SimpleNamespace

import pytest

from tests.dispatch.test_frozen_baseline import depot
from tests.events.conftest import START, distribution, make_event
from ven.chargers.schedule import PlugEvent
from ven.chargers.simulated import Fault, SimulatedFleet
from ven.clock import ManualClock
from ven.dispatch.controller import DispatchController
from ven.dispatch.planner import Planner
from ven.events import EventBook
from ven.runtime.supervisor import Supervisor
from ven.storage import Store

REQUEST_KW = 300.0


async def supervised(tmp_path, sim: SimulatedFleet, clock: ManualClock):
    store = Store.open(tmp_path / "ven.db")
    controller = DispatchController(
        sim, depot(), Planner("fair"), store, simple_levels={}, margin=0.0, setpoint_ttl=timedelta(hours=2)
    )
    # A control period of an hour: any step before that was triggered by the gateway, not the timer.
    supervisor = Supervisor(controller, store, clock, control_period=timedelta(hours=1), time_scale=1.0)
    book = EventBook("ven-1", clock, random.Random(0))  # noqa: S311 - start randomisation only
    book.apply_distribution(distribution(make_event(values=(-REQUEST_KW,) * 4)))
    view = book.get("e1")
    assert view is not None
    supervisor.scheduler = SimpleNamespace(dispatching=view)  # type: ignore[assignment]
    sim.subscribe(supervisor.on_gateway_event)
    await supervisor.on_interval_start(view, 0)
    return supervisor, controller, store


async def wait_steps(supervisor: Supervisor, count: int) -> None:
    async with asyncio.timeout(5):
        while supervisor.steps < count:
            await asyncio.sleep(0.01)


async def test_a_plug_out_is_dispatched_around_at_once(tmp_path):
    """bus0 leaves unexpectedly: the other three take up its share and the fleet still meets 300 kW."""
    clock = ManualClock(START)
    sim = SimulatedFleet(depot(), clock, schedule=[PlugEvent(START + timedelta(minutes=2), "bus0", False)])
    supervisor, _controller, store = await supervised(tmp_path, sim, clock)
    runner = asyncio.create_task(supervisor.run())
    clock.advance(timedelta(minutes=3))
    await sim.read()  # the simulator catches up with the clock and reports the plug-out
    await wait_steps(supervisor, 2)
    clock.advance(timedelta(seconds=30))  # the new setpoints show in the meters once time has passed
    reading = await sim.read()
    powers = dict(zip(reading.ev_ids, reading.power_kw, strict=True))
    assert powers["bus0"] == 0.0
    # Frozen baseline 240 kW less bus0's 60 (it left): 180 kW; 300 kW less than that is −120 kW.
    assert reading.total_power_kw == pytest.approx(180.0 - REQUEST_KW, abs=1e-6)
    runner.cancel()
    store.close()


async def test_a_charger_refusing_setpoints_is_dispatched_around(tmp_path):
    """bus1's charger rejects commands: the step is redone at once without it."""
    clock = ManualClock(START)
    sim = SimulatedFleet(depot(), clock)
    sim.inject_fault("bus1", Fault.REJECT_SETPOINTS)
    supervisor, _controller, store = await supervised(tmp_path, sim, clock)
    assert supervisor.steps == 1
    clock.advance(timedelta(seconds=30))
    reading = await sim.read()
    powers = dict(zip(reading.ev_ids, reading.power_kw, strict=True))
    assert powers["bus1"] == pytest.approx(60.0)  # unmanaged: it keeps charging at full rate
    # The other three must carry the whole request: 240 − 300 − 60 (bus1 still draws) = −120 kW.
    others = sum(p for ev_id, p in powers.items() if ev_id != "bus1")
    assert others == pytest.approx(240.0 - REQUEST_KW - 60.0, abs=1e-6)
    store.close()


async def test_an_offline_charger_stuck_on_its_setpoint_is_accounted_for(tmp_path):
    """bus1 goes offline still exporting at its last setpoint: the others give only the rest, and the
    reported baseline still includes bus1, so delivery is exactly the request, not more."""
    clock = ManualClock(START)
    sim = SimulatedFleet(depot(), clock)
    supervisor, controller, store = await supervised(tmp_path, sim, clock)
    clock.advance(timedelta(seconds=30))
    before = await sim.read()
    stuck_kw = float(before.power_kw[before.index("bus1")])
    assert stuck_kw == pytest.approx((240.0 - REQUEST_KW) / 4)  # the four shared the request
    sim.inject_fault("bus1", Fault.OFFLINE)
    view = supervisor.scheduler.dispatching  # type: ignore[union-attr]
    await supervisor.on_interval_start(view, 0)  # the next control step
    clock.advance(timedelta(seconds=30))
    reading = await sim.read()
    baseline = controller.baseline_now_kw()
    assert baseline == pytest.approx(240.0)
    assert baseline - reading.total_power_kw == pytest.approx(REQUEST_KW, abs=1e-6)
    store.close()
