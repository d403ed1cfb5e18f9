"""Plug-in/out, faults, drift and notifications of the simulated fleet."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from tests.chargers.conftest import FAR
from ven.chargers import (
    Fault,
    GatewayEvent,
    GatewayEventKind,
    PlugEvent,
    RejectReason,
    SimulatedFleet,
)
from ven.model.fleet import EV, Fleet


def record(sim: SimulatedFleet) -> list[GatewayEvent]:
    events: list[GatewayEvent] = []
    sim.subscribe(events.append)
    return events


async def test_departure_unplugs_at_the_exact_time(clock):
    """At its departure the EV is unplugged mid-step: energy up to then only, power 0, event stamped then."""
    departure = clock.now() + timedelta(seconds=630.5)
    fleet = Fleet((EV("a", "s", 60.0, 0.5, 11.0, max_discharge_kw=10.0, departure=departure),))
    sim = SimulatedFleet(fleet, clock, step_s=60)
    events = record(sim)
    await sim.apply({"a": 10.0}, valid_until=FAR)
    sim.advance(900)
    reading = await sim.read()
    assert sim.energy_kwh[0] == pytest.approx(30.0 + 0.92 * 10.0 * 630.5 / 3600)
    assert not reading.plugged_in[0]
    assert reading.power_kw[0] == 0.0
    assert reading.ev("a").setpoint_kw is None
    assert [(e.kind, e.ev_id, e.timestamp) for e in events] == [
        (GatewayEventKind.PLUGGED_OUT, "a", departure)
    ]


async def test_ev_that_left_before_the_start_is_unplugged(clock):
    """An EV whose departure is already past is not plugged in, and takes no setpoint."""
    fleet = Fleet((EV("gone", "s", 60.0, 0.5, 11.0, departure=clock.now() - timedelta(minutes=1)),))
    sim = SimulatedFleet(fleet, clock)
    result = await sim.apply({"gone": 5.0}, valid_until=FAR)
    assert result.rejected[0].reason is RejectReason.NOT_PLUGGED_IN
    sim.advance(600)
    assert sim.soc[0] == 0.5


async def test_schedule_arrival_and_unexpected_plug_out(clock, fleet):
    """Scheduled plug events act at their exact time, emit events, and new sessions start unmanaged."""
    t0 = clock.now()
    schedule = [
        PlugEvent(t0 + timedelta(seconds=90), "v2g", plugged_in=False),
        PlugEvent(
            t0 + timedelta(seconds=300),
            "v2g",
            plugged_in=True,
            soc=0.2,
            departure=t0 + timedelta(seconds=420),
        ),
    ]
    sim = SimulatedFleet(fleet, clock, schedule=schedule, step_s=60)
    events = record(sim)
    await sim.apply({"v2g": -10.0}, valid_until=FAR)
    sim.advance(120)
    assert sim.energy_kwh[0] == pytest.approx(30.0 - 10.0 * 90 / 3600 / 0.92)
    assert not (await sim.read()).plugged_in[0]
    sim.advance(600)
    # Arrived at 0.2 with no setpoint: baseline charging at 11 kW for the 120 s until it left again.
    assert sim.energy_kwh[0] == pytest.approx(12.0 + 0.92 * 11.0 * 120 / 3600)
    kinds = [(e.kind, e.detail, (e.timestamp - t0).total_seconds()) for e in events if e.ev_id == "v2g"]
    assert kinds == [
        (GatewayEventKind.PLUGGED_OUT, "unplugged", 90.0),
        (GatewayEventKind.PLUGGED_IN, "arrival", 300.0),
        (GatewayEventKind.PLUGGED_OUT, "departure", 420.0),
    ]


def test_schedule_naming_an_unknown_ev_is_refused(clock, fleet):
    """A plug schedule for an EV outside the fleet is a configuration error, caught at construction."""
    with pytest.raises(ValueError, match="nope"):
        SimulatedFleet(fleet, clock, schedule=[PlugEvent(clock.now(), "nope", plugged_in=True)])


async def test_apply_rejects_unknown_and_non_finite_setpoints(clock, fleet):
    """Unknown EVs and NaN/inf setpoints are rejected with a reason; the rest are accepted."""
    sim = SimulatedFleet(fleet, clock)
    result = await sim.apply({"v2g": 3.0, "ghost": 1.0, "bus": float("nan")}, valid_until=FAR)
    assert result.accepted == ("v2g",)
    assert {(r.ev_id, r.reason) for r in result.rejected} == {
        ("ghost", RejectReason.UNKNOWN_EV),
        ("bus", RejectReason.INVALID),
    }
    assert not result.ok
    assert result.rejected_ids == {"ghost", "bus"}


async def test_release_returns_evs_to_baseline_charging(clock, fleet):
    """After release the EV charges as the baseline does again."""
    sim = SimulatedFleet(fleet, clock)
    await sim.apply({"v2g": -10.0, "v1g": 0.0}, valid_until=FAR)
    sim.advance(60)
    result = await sim.release(["v2g"])
    assert result.accepted == ("v2g",)
    sim.advance(60)
    np.testing.assert_allclose(sim.power_kw[:2], [11.0, 0.0])
    await sim.release()
    sim.advance(60)
    np.testing.assert_allclose(sim.power_kw[:2], [11.0, 7.4])


async def test_offline_charger_rejects_commands_and_freezes_readings(clock, fleet):
    """An offline charger: OFFLINE event, commands rejected, stale readings; ONLINE again on recovery."""
    sim = SimulatedFleet(fleet, clock)
    events = record(sim)
    await sim.apply({"v2g": -10.0}, valid_until=FAR)
    sim.advance(60)
    sim.inject_fault("v2g", Fault.OFFLINE)
    sim.advance(600)
    reading = await sim.read()
    assert not reading.ev("v2g").online
    assert reading.ev("v2g").fault == "offline"
    assert reading.ev("v2g").power_kw == -10.0
    assert reading.ev("v2g").soc == pytest.approx((30.0 - 10 / 0.92 / 60) / 60.0)
    assert sim.soc[0] < reading.soc[0]  # it kept discharging as last told
    result = await sim.apply({"v2g": 0.0}, valid_until=FAR)
    assert result.rejected[0].reason is RejectReason.OFFLINE
    assert (await sim.release(["v2g"])).rejected[0].reason is RejectReason.OFFLINE
    sim.clear_fault("v2g")
    reading = await sim.read()
    assert reading.ev("v2g").online
    assert reading.ev("v2g").soc == pytest.approx(sim.soc[0])
    assert [e.kind for e in events] == [GatewayEventKind.OFFLINE, GatewayEventKind.ONLINE]


async def test_offline_charger_reports_no_plug_out(clock, fleet):
    """A charger that is offline cannot tell about a departure; the reading keeps its last plug state."""
    sim = SimulatedFleet(fleet, clock)
    events = record(sim)
    sim.inject_fault("bus", Fault.OFFLINE)
    sim.advance(3 * 3600)
    assert [e.kind for e in events] == [GatewayEventKind.OFFLINE]
    assert (await sim.read()).ev("bus").plugged_in


async def test_rejecting_charger_stays_metered(clock, fleet):
    """A charger that refuses setpoints is still read; FAULT and FAULT_CLEARED are notified."""
    sim = SimulatedFleet(fleet, clock)
    events = record(sim)
    sim.inject_fault("v1g", Fault.REJECT_SETPOINTS)
    result = await sim.apply({"v1g": 0.0, "v2g": 0.0}, valid_until=FAR)
    assert result.accepted == ("v2g",)
    assert result.rejected[0].reason is RejectReason.REJECTED
    sim.advance(60)
    reading = await sim.read()
    assert reading.ev("v1g").online
    assert reading.ev("v1g").power_kw == 7.4
    assert reading.faults == {"v1g": "reject_setpoints"}
    sim.clear_fault("v1g")
    assert (await sim.apply({"v1g": 0.0}, valid_until=FAR)).ok
    assert [e.kind for e in events] == [GatewayEventKind.FAULT, GatewayEventKind.FAULT_CLEARED]


async def test_drift_is_notified_once_when_the_battery_is_full(clock):
    """A setpoint the EV cannot follow (battery full) yields one DRIFT event after the hold time."""
    fleet = Fleet((EV("a", "s", 10.0, 0.999, 11.0),))
    sim = SimulatedFleet(fleet, clock, drift_hold_s=30)
    events = record(sim)
    await sim.apply({"a": 11.0}, valid_until=FAR)
    sim.advance(20)
    assert events == []
    sim.advance(600)
    assert [(e.kind, e.ev_id) for e in events] == [(GatewayEventKind.DRIFT, "a")]
    assert "setpoint 11.00 kW" in events[0].detail
    await sim.apply(
        {"a": 11.0}, valid_until=FAR
    )  # a fresh setpoint gets a fresh hold time, then drifts again
    sim.advance(60)
    assert len(events) == 2


async def test_ramping_and_noise_are_not_drift(clock, fleet):
    """Ramping toward a setpoint, and meter noise below the tolerance, raise no DRIFT event."""
    sim = SimulatedFleet(fleet, clock, ramp_kw_per_s=0.5, noise_kw=0.2, seed=1)
    events = record(sim)
    await sim.apply({"v2g": -10.0, "bus": 40.0}, valid_until=FAR)
    sim.advance(600)
    assert events == []


async def test_unsubscribe_stops_notifications(clock, fleet):
    """The function subscribe returns removes the callback."""
    sim = SimulatedFleet(fleet, clock)
    events: list[GatewayEvent] = []
    unsubscribe = sim.subscribe(events.append)
    sim.inject_fault("v2g", Fault.REJECT_SETPOINTS)
    unsubscribe()
    unsubscribe()
    sim.clear_fault("v2g")
    assert [e.kind for e in events] == [GatewayEventKind.FAULT]


def test_snapshot_carries_simulated_state(clock, fleet):
    """snapshot() is the enrolled fleet with the simulated SOC and plug state, ready for re-planning."""
    sim = SimulatedFleet(fleet, clock)
    sim.advance(3 * 3600)
    snapshot = sim.snapshot()
    np.testing.assert_allclose(snapshot.soc, sim.soc)
    assert list(snapshot.plugged_in) == [True, True, False]
    assert snapshot.evs[2].departure == fleet.evs[2].departure


def test_plug_events_are_validated(clock):
    """Plug events need aware times and an arrival SOC within 0..1."""
    with pytest.raises(ValueError, match="timezone"):
        PlugEvent(clock.now().replace(tzinfo=None), "a", plugged_in=True)
    with pytest.raises(ValueError, match="outside"):
        PlugEvent(clock.now(), "a", plugged_in=True, soc=1.5)
