"""A VEN that stops stepping mid-event never costs an EV its departure SOC: its setpoints lapse to baseline.

The controller is driven by an injected clock over the simulated fleet; "frozen" means no control step for
several control periods right before departures, as when the VEN stalls, dies or loses the network.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from tests.events.conftest import START, distribution, make_event
from ven.chargers.gateway import ApplyResult, ChargerGateway, EventCallback, FleetReading
from ven.chargers.simulated import SimulatedFleet
from ven.clock import ManualClock
from ven.dispatch.controller import DispatchController
from ven.dispatch.planner import Planner
from ven.events import EventBook
from ven.model.fleet import EV, Fleet
from ven.storage import Store

CONTROL_PERIOD = timedelta(minutes=5)
TTL = 2 * CONTROL_PERIOD
DEPARTURE = START + timedelta(minutes=50)
FROZEN_FROM = DEPARTURE - 4 * CONTROL_PERIOD  # no step from here on, across the departures
SOC_TOL = 1e-6


def fleet() -> Fleet:
    """Three buses leave at DEPARTURE needing 80 %, three stay; all V2G, all at 95 %."""
    bus = {"capacity_kwh": 200.0, "max_charge_kw": 60.0, "max_discharge_kw": 60.0, "min_soc": 0.2}
    leaving = [
        EV(f"leave{i}", "depot", soc=0.95, departure=DEPARTURE, departure_soc=0.8, **bus)  # type: ignore[arg-type]
        for i in range(3)
    ]
    staying = [EV(f"stay{i}", "depot", soc=0.95, **bus) for i in range(3)]  # type: ignore[arg-type]
    return Fleet((*leaving, *staying))


@dataclass
class NoExpiry:
    """A charger without the fail-safe: it keeps every setpoint until told otherwise (the old behaviour)."""

    inner: SimulatedFleet

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    async def apply(self, setpoints: Mapping[str, float], *, valid_until: datetime) -> ApplyResult:
        del valid_until
        return await self.inner.apply(setpoints, valid_until=datetime.max.replace(tzinfo=START.tzinfo))

    async def release(self, ev_ids: Iterable[str] | None = None) -> ApplyResult:
        return await self.inner.release(ev_ids)

    async def read(self) -> FleetReading:
        return await self.inner.read()

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        return self.inner.subscribe(callback)


@dataclass
class Outcome:
    discharged_before_freeze: list[str]  # leaving buses with a discharge setpoint in force when it froze
    departed: int
    short: list[str]  # left below departure SOC


async def run_then_freeze(tmp_path: Path, wrap: Callable[[SimulatedFleet], ChargerGateway]) -> Outcome:
    clock = ManualClock(START)
    evs = fleet()
    sim = SimulatedFleet(evs, clock)
    store = Store.open(tmp_path / "ven.db")
    planner = Planner("optimal", quick_policy="optimal")  # no refinement thread: every step is exact
    controller = DispatchController(
        wrap(sim), evs, planner, store, simple_levels={}, margin=0.0, setpoint_ttl=TTL
    )
    book = EventBook("ven-1", clock, random.Random(0))  # noqa: S311 - start randomisation only
    book.apply_distribution(distribution(make_event(values=(-600.0,) * 4)))  # export beyond baseline
    view = book.get("e1")
    assert view is not None
    while clock.now() < FROZEN_FROM:
        await controller.step(view, clock.now())
        clock.advance(CONTROL_PERIOD)
    reading = await sim.read()
    discharging = [r.ev_id for r in reading if r.ev_id.startswith("leave") and (r.setpoint_kw or 0.0) < 0]
    clock.advance(6 * CONTROL_PERIOD)  # frozen: not one step, past the departures
    await sim.read()
    leaving = np.array([ev_id.startswith("leave") for ev_id in evs.ids])
    gone = leaving & ~sim.snapshot().plugged_in
    short = gone & (sim.soc < evs.departure_soc - SOC_TOL)
    store.close()
    return Outcome(discharging, int(gone.sum()), [evs.ids[i] for i in np.flatnonzero(short)])


async def test_a_frozen_controller_right_before_departures_costs_no_departure_soc(tmp_path):
    """Frozen 20 minutes before three buses leave, with discharge setpoints standing: the setpoints lapse
    after the TTL, the chargers charge at full rate again, and every bus leaves with its 80 %."""
    outcome = await run_then_freeze(tmp_path, lambda sim: sim)
    assert outcome.discharged_before_freeze  # the freeze caught buses discharging
    assert outcome.departed == 3
    assert outcome.short == []


async def test_without_setpoint_expiry_the_same_freeze_strands_buses(tmp_path):
    """The control: chargers that keep a setpoint forever leave buses below 80 % in the same freeze."""
    outcome = await run_then_freeze(tmp_path, NoExpiry)
    assert outcome.departed == 3
    assert outcome.short
