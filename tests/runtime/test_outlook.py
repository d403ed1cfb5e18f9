"""Future events the fleet as it is cannot show (EVs coming back first) are decided on the forecast."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.openadr.conftest import raw_event, signal_dict
from ven.availability import Unavailability
from ven.clock import ManualClock
from ven.events import EventBook, EventView, Opt
from ven.model.enrollment import parse_fleet
from ven.model.fleet import Fleet
from ven.openadr.models import event_from_openleadr
from ven.runtime.availability import AvailabilityKeeper
from ven.runtime.outlook import forecast_decider
from ven.storage import Store

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 7, 14, 14, 0, tzinfo=UTC)  # Tuesday 10:00 in New York: the buses are out
BUSES = (
    "ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,min_soc,departure,departure_soc,timezone,days,"
    "plug_in,plug_in_soc\n"
    "bus-1,depot,200,0.5,60,60,0.2,06:15,0.9,America/New_York,mon-fri,16:00,0.6\n"
    "bus-2,depot,200,0.5,60,60,0.2,06:15,0.9,America/New_York,mon-fri,16:00,0.6\n"
)


def decider_for(fleet: Fleet, share: float = 1.0):  # type: ignore[no-untyped-def]
    clock = ManualClock(NOW)
    store = Store.open("sqlite:///:memory:")
    book = EventBook("ven-1", clock, random.Random(1))  # noqa: S311 - deterministic test
    keeper = AvailabilityKeeper(
        Unavailability(NY),
        store,
        book,
        clock,
        fleet=lambda: fleet,
        dispatching=lambda: None,
        on_change=lambda: None,
    )
    return forecast_decider(
        fleet_now=lambda: fleet, keeper=keeper, clock=clock, simple_levels={1: 0.5}, margin=0.05, share=share
    )


def view(start: datetime, value: float, minutes: int = 60) -> EventView:
    raw = raw_event(event_signals=[signal_dict("LOAD_DISPATCH", "delta", [value], minutes)])
    raw["active_period"] = {"dtstart": start, "duration": timedelta(minutes=minutes)}
    return EventView(event_from_openleadr(raw))


def away_now() -> Fleet:
    return parse_fleet(BUSES, now=NOW).with_state(plugged_in=[False, False])


def test_event_after_the_buses_come_back_is_decided_on_the_forecast() -> None:
    """17:00-18:00 today, asking 100 kW: the buses are out now but back at 16:00: optIn on the forecast
    (the plan from the fleet as it is would see nobody)."""
    decision = decider_for(away_now())(view(datetime(2026, 7, 14, 17, 0, tzinfo=NY), -100.0))
    assert decision is not None
    assert decision.opt is Opt.IN
    assert decision.reason.startswith("forecast")


def test_more_than_the_forecast_offers_is_refused() -> None:
    """Asking 500 kW of two buses (at most 120 kW charging plus 120 kW export): optOut on the forecast."""
    decision = decider_for(away_now())(view(datetime(2026, 7, 14, 17, 0, tzinfo=NY), -500.0))
    assert decision is not None
    assert decision.opt is Opt.OUT
    assert "forecast" in decision.reason


def test_left_to_the_plan_when_nobody_arrives_or_it_has_started() -> None:
    """Buses in now (nobody arrives before the event ends), or an event already running: no answer here."""
    in_now = parse_fleet(BUSES, now=NOW)
    assert decider_for(in_now)(view(datetime(2026, 7, 14, 11, 0, tzinfo=NY), -50.0)) is None
    assert decider_for(away_now())(view(NOW - timedelta(minutes=5), -50.0)) is None
