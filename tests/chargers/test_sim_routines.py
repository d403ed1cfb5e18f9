"""The simulated fleet follows each EV's routine day after day: it leaves, and comes back at plug_in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ven.chargers import GatewayEvent, GatewayEventKind, SimulatedFleet
from ven.clock import ManualClock
from ven.model.enrollment import parse_fleet

BOSTON = ZoneInfo("America/New_York")
FLEET = (
    "ev_id,site,capacity_kwh,soc,max_charge_kw,departure,timezone,days,plug_in,plug_in_soc,plugged_in\n"
    "bus,depot,200,0.9,60,06:15,America/New_York,mon-fri,16:00,0.5,true\n"
    "van,yard,100,0.4,11,08:00,America/New_York,daily,17:30,,false\n"
)


async def test_three_days_of_a_school_bus_and_a_van_away_at_start():
    """Bus: leaves 06:15 on weekdays, back at 16:00 at SOC 0.5, not on the weekend. Van: away at start,
    back at 17:30 as it left, then daily."""
    start = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)  # Thursday 15:00 in Boston
    fleet = parse_fleet(FLEET, now=start)
    clock = ManualClock(start)
    sim = SimulatedFleet(fleet, clock, step_s=300)
    events: list[GatewayEvent] = []
    sim.subscribe(events.append)
    sim.advance(timedelta(days=4).total_seconds())
    seen = [(e.ev_id, e.kind, e.timestamp.astimezone(BOSTON).strftime("%a %H:%M")) for e in events]
    assert seen == [
        ("van", GatewayEventKind.PLUGGED_IN, "Thu 17:30"),
        ("bus", GatewayEventKind.PLUGGED_OUT, "Fri 06:15"),
        ("van", GatewayEventKind.PLUGGED_OUT, "Fri 08:00"),
        ("bus", GatewayEventKind.PLUGGED_IN, "Fri 16:00"),
        ("van", GatewayEventKind.PLUGGED_IN, "Fri 17:30"),
        ("van", GatewayEventKind.PLUGGED_OUT, "Sat 08:00"),
        ("van", GatewayEventKind.PLUGGED_IN, "Sat 17:30"),
        ("van", GatewayEventKind.PLUGGED_OUT, "Sun 08:00"),
        ("van", GatewayEventKind.PLUGGED_IN, "Sun 17:30"),
        ("bus", GatewayEventKind.PLUGGED_OUT, "Mon 06:15"),
        ("van", GatewayEventKind.PLUGGED_OUT, "Mon 08:00"),
    ]


async def test_a_returning_ev_arrives_with_its_plug_in_soc_and_charges_from_there():
    """At 16:00 the bus is back at SOC 0.5 and charges unmanaged at 60 kW."""
    start = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # Friday 07:00 in Boston: the bus is away
    fleet = parse_fleet(FLEET.replace("mon-fri,16:00,0.5,true", "mon-fri,16:00,0.5,false"), now=start)
    sim = SimulatedFleet(fleet, ManualClock(start), step_s=60)
    back = datetime(2026, 12, 4, 16, 0, tzinfo=BOSTON)
    sim.advance((back - start).total_seconds())
    assert sim.soc[0] == pytest.approx(0.5)
    sim.advance(3600)
    reading = await sim.read()
    assert reading.plugged_in[0]
    assert sim.soc[0] == pytest.approx(0.5 + 0.92 * 60 / 200)
