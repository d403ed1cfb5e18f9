"""The season's gateway: the VEN learns each departure when the EV plugs in, never the owner's surprises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ven.chargers.gateway import ChargerGateway, KnowsFleet
from ven.clock import ManualClock
from ven.model.fleet import Fleet
from ven.season.config import LifeProfile
from ven.season.gateway import SeasonFleet
from ven.season.ledger import EnergyLedger
from ven.season.life import FleetLife, Span, plan_life

STANDING = datetime(2100, 1, 1, tzinfo=UTC)  # a setpoint end no test here reaches: setpoints stand

ZONE = ZoneInfo("America/New_York")


def build(fleet: Fleet, early_share: float = 0.0) -> tuple[SeasonFleet, ManualClock, FleetLife]:
    start = datetime(2026, 7, 6, tzinfo=ZONE)
    profiles = [LifeProfile(sites=["*"], calendar="workweek", early_share=early_share)]
    life = plan_life(fleet, profiles, Span(start, start + timedelta(days=5), ZONE, seed=1))
    initial = life.initial_fleet(fleet)
    ledger = EnergyLedger(
        initial, start.timestamp(), life.first_announced(), life.announced, np.zeros((0, 2))
    )
    clock = ManualClock(start)
    gateway = SeasonFleet(fleet, life, ledger, clock, step=timedelta(hours=1), tick=timedelta(minutes=15))
    return gateway, clock, life


def test_it_is_a_gateway_that_knows_its_fleet(fleet: Fleet):
    """The runtime sees a ChargerGateway that reports its fleet (as an OCPP 2.1 backend does)."""
    gateway, _, _ = build(fleet)
    assert isinstance(gateway, ChargerGateway)
    assert isinstance(gateway, KnowsFleet)
    assert gateway.fleet().ids == fleet.ids
    assert all(ev.routine is None for ev in gateway.fleet().evs)  # the announcement, not the habit


async def test_each_plug_in_announces_the_next_departure(fleet: Fleet):
    """After an EV comes back, the fleet the VEN plans with carries the departure it announced."""
    gateway, clock, life = build(fleet)
    trips = next(x for x in life.lives if x.ev_id == "car-m-02").trips
    first, second = trips[0], trips[1]
    assert gateway.fleet().evs[fleet.index("car-m-02")].departure == first.planned
    clock.set(first.back + timedelta(minutes=1))
    reading = await gateway.read()
    assert reading.ev("car-m-02").plugged_in
    assert gateway.fleet().evs[fleet.index("car-m-02")].departure == second.planned


async def test_an_owner_leaving_early_surprises_the_ven(fleet: Fleet):
    """With every trip early, EVs unplug before the departure the VEN was told."""
    gateway, clock, life = build(fleet, early_share=1.0)
    trips = next(x for x in life.lives if x.ev_id == "pickup-m-01").trips
    trip = trips[0]
    assert trip.leave < trip.planned
    clock.set(trip.leave + timedelta(minutes=1))
    reading = await gateway.read()
    assert not reading.ev("pickup-m-01").plugged_in
    announced = gateway.fleet().evs[fleet.index("pickup-m-01")].departure
    assert announced is not None
    assert announced > clock.now()


async def test_commands_pass_the_ledger(fleet: Fleet):
    """A setpoint beyond an EV's limit counts as a violation even though the charger clips it."""
    gateway, _, _ = build(fleet)
    await gateway.apply({"car-h-02": 6.6, "bus-a-01": 61.0}, valid_until=STANDING)
    assert gateway.ledger.limit_violations.tolist() == [1, 0, 0, 0, 0, 0, 0]
