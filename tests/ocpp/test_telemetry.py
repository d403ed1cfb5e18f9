"""What stations report reaches read() and fleet(): meter values, plug state, EV needs, staleness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.ocpp.conftest import DEPARTURE, later, make_fleet
from tests.waiting import until
from ven.chargers.cpsim import EvSpec
from ven.chargers.ocpp import OcppVersion
from ven.clock import ManualClock


async def test_meter_values_flow_into_read(csms_factory):
    """Power (import − export) and SoC from TransactionEvent meter values are what read() returns."""
    fleet = make_fleet("a", "b")
    csms = await csms_factory(fleet)
    await csms.station(fleet.evs[0])
    await csms.station(fleet.evs[1], OcppVersion.V201)
    reading = await csms.gateway.read()
    assert reading.power_kw.tolist() == [11.0, 11.0]  # unmanaged: full rate
    assert reading.soc.tolist() == [0.5, 0.5]
    assert reading.plugged_in.all()
    assert reading.online.all()
    assert not reading.faults
    await csms.gateway.apply({"a": -8.0, "b": 2.5}, valid_until=later())
    await until(lambda: csms.gateway.station("a").power_kw == -8.0)
    await until(lambda: csms.gateway.station("b").power_kw == 2.5)
    reading = await csms.gateway.read()
    assert reading.total_power_kw == pytest.approx(-5.5)
    assert reading.ev("a").setpoint_kw == -8.0


async def test_periodic_meter_values_track_soc(csms_factory):
    """A station metering periodically reports its rising SOC."""
    fleet = make_fleet("a")
    csms = await csms_factory(fleet)
    spec = EvSpec(capacity_kwh=0.05, soc=0.5, max_charge_kw=100.0)  # a tiny battery fills visibly fast
    station = await csms.station(fleet.evs[0], spec=spec, meter_interval_s=0.05)
    await until(lambda: csms.gateway.station("a").soc > 0.55)
    assert station.soc > 0.55


async def test_ev_charging_needs_override_the_enrollment(csms_factory):
    """NotifyEVChargingNeeds (departure, SOC, capacity, V2X limits) overrides the CSV row in fleet()."""
    fleet = make_fleet("a")
    csms = await csms_factory(fleet)
    departure = datetime(2031, 1, 2, 7, 30, tzinfo=UTC)
    spec = EvSpec(
        capacity_kwh=80.0,
        soc=0.3,
        max_charge_kw=22.0,
        max_discharge_kw=7.0,
        departure=departure,
        departure_soc=0.9,
    )
    await csms.station(fleet.evs[0], spec=spec)
    ev = csms.gateway.fleet().evs[0]
    assert (ev.departure, ev.departure_soc, ev.capacity_kwh) == (departure, 0.9, 80.0)
    assert (ev.max_charge_kw, ev.max_discharge_kw, ev.soc) == (22.0, 7.0, 0.3)
    await csms.gateway.apply({"a": -20.0}, valid_until=later())  # beyond the reported 7 kW
    assert csms.stations[0].power_kw == pytest.approx(-7.0)


async def test_ev_charging_needs_of_201_give_departure_and_energy(csms_factory):
    """A 2.0.1 station's needs (DC parameters) set departure, SOC and departure SOC; no discharge."""
    fleet = make_fleet("a", departure=None)
    csms = await csms_factory(fleet)
    spec = EvSpec(capacity_kwh=50.0, soc=0.4, max_charge_kw=50.0, departure=DEPARTURE, departure_soc=0.8)
    # The station's clock stands still: its EV is still at 40 % when it reports (2.0.1 sends whole percent).
    await csms.station(fleet.evs[0], OcppVersion.V201, spec=spec, clock=ManualClock(datetime.now(UTC)))
    ev = csms.gateway.fleet().evs[0]
    assert ev.departure == DEPARTURE
    assert ev.soc == 0.4
    assert ev.departure_soc == pytest.approx(0.8)
    assert (ev.max_charge_kw, ev.max_discharge_kw) == (50.0, 0.0)


async def test_plug_out_and_disconnect_are_events_and_readings(csms_factory):
    """Transaction end reads as unplugged; a closed connection as offline; both are events."""
    fleet = make_fleet("a")
    csms = await csms_factory(fleet)
    station = await csms.station(fleet.evs[0])
    await station.plug_out()
    await until(lambda: "plugged_out" in csms.kinds("a"))
    reading = await csms.gateway.read()
    assert not reading.ev("a").plugged_in
    assert reading.ev("a").power_kw == 0.0
    await station.plug_in()
    await until(lambda: csms.kinds("a").count("plugged_in") == 2)
    await station.close()
    await until(lambda: "offline" in csms.kinds("a"))
    reading = await csms.gateway.read()
    assert not reading.ev("a").online
    assert reading.faults["a"] == "offline"
    assert not csms.gateway.fleet().evs[0].plugged_in


async def test_silent_station_reads_stale(csms_factory):
    """A connected station that sends nothing for stale_after_s reads as offline (stale)."""
    fleet = make_fleet("a")
    clock = ManualClock(datetime.now(UTC))
    csms = await csms_factory(fleet, clock, stale_after_s=30.0)
    await csms.station(fleet.evs[0])
    assert (await csms.gateway.read()).ev("a").online
    clock.advance(timedelta(seconds=31))
    reading = await csms.gateway.read()
    assert not reading.ev("a").online
    assert reading.faults["a"].startswith("stale")
