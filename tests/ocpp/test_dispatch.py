"""apply()/release() over real websockets: signed setpoints (2.1), limits ≥ 0 (2.0.1), failures isolated."""

from __future__ import annotations

import pytest

from tests.ocpp.conftest import later, make_ev, make_fleet
from tests.waiting import until
from ven.chargers.cpsim import Behaviour, Limit, Setpoint
from ven.chargers.gateway import RejectReason
from ven.chargers.ocpp import OcppVersion


async def test_v21_stations_get_signed_discharge_setpoints(csms_factory):
    """An OCPP 2.1 station gets CentralSetpoint with a negative setpoint and discharges."""
    fleet = make_fleet("a", "b")
    csms = await csms_factory(fleet)
    a = await csms.station(fleet.evs[0])
    b = await csms.station(fleet.evs[1])
    result = await csms.gateway.apply({"a": -7.5, "b": 4.0}, valid_until=later())
    assert result.ok
    assert set(result.accepted) == {"a", "b"}
    assert a.control == Setpoint(power_kw=-7.5, max_charge_kw=11.0, max_discharge_kw=10.0)
    assert b.control == Setpoint(power_kw=4.0, max_charge_kw=11.0, max_discharge_kw=10.0)
    assert a.power_kw == pytest.approx(-7.5)


async def test_v21_setpoints_are_limited_to_the_ev(csms_factory):
    """A setpoint beyond the EV's discharge limit is sent clipped to it."""
    fleet = make_fleet("a")
    csms = await csms_factory(fleet)
    a = await csms.station(fleet.evs[0])
    await csms.gateway.apply({"a": -25.0}, valid_until=later())
    assert isinstance(a.control, Setpoint)
    assert a.control.power_kw == pytest.approx(-10.0)


async def test_v201_stations_only_get_non_negative_limits(csms_factory):
    """A 2.0.1 station asked to discharge gets a 0 W limit and the caller a V1G-only rejection."""
    fleet = make_fleet("old", "new")
    csms = await csms_factory(fleet)
    old = await csms.station(fleet.evs[0], OcppVersion.V201)
    new = await csms.station(fleet.evs[1], OcppVersion.V21)
    result = await csms.gateway.apply({"old": -6.0, "new": -6.0}, valid_until=later())
    assert result.accepted == ("new",)
    (rejection,) = result.rejected
    assert rejection.ev_id == "old"
    assert rejection.reason is RejectReason.REJECTED
    assert "V1G" in rejection.detail
    assert old.control == Limit(max_kw=0.0)
    assert old.power_kw == 0.0
    assert new.power_kw == pytest.approx(-6.0)
    assert csms.gateway.fleet().evs[0].max_discharge_kw == 0.0
    assert csms.gateway.fleet().evs[1].max_discharge_kw == 10.0


async def test_v201_charging_limit_is_followed(csms_factory):
    """A positive setpoint reaches a 2.0.1 station as a limit it charges at."""
    fleet = make_fleet("old")
    csms = await csms_factory(fleet)
    old = await csms.station(fleet.evs[0], OcppVersion.V201)
    result = await csms.gateway.apply({"old": 3.3}, valid_until=later())
    assert result.ok
    assert old.control == Limit(max_kw=3.3)
    assert old.power_kw == pytest.approx(3.3)


async def test_release_clears_profiles(csms_factory):
    """release() sends ClearChargingProfile: the EV is back to unmanaged full-rate charging."""
    fleet = make_fleet("a", "b")
    csms = await csms_factory(fleet)
    a = await csms.station(fleet.evs[0])
    b = await csms.station(fleet.evs[1], OcppVersion.V201)
    await csms.gateway.apply({"a": -5.0, "b": 2.0}, valid_until=later())
    result = await csms.gateway.release()
    assert set(result.accepted) == {"a", "b"}
    assert a.control is None
    assert b.control is None
    assert a.power_kw == pytest.approx(11.0)
    reading = await csms.gateway.read()
    assert reading.ev("a").setpoint_kw is None


async def test_rejecting_station_becomes_rejection_and_fault_event(csms_factory):
    """A station answering Rejected is a Rejection plus a FAULT event; the others are applied."""
    fleet = make_fleet("a", "b")
    csms = await csms_factory(fleet)
    a = await csms.station(fleet.evs[0])
    b = await csms.station(fleet.evs[1])
    b.behaviour = Behaviour.REJECT
    result = await csms.gateway.apply({"a": -5.0, "b": -5.0}, valid_until=later())
    assert result.accepted == ("a",)
    assert result.rejected[0].ev_id == "b"
    assert result.rejected[0].reason is RejectReason.REJECTED
    assert "fault" in csms.kinds("b")
    reading = await csms.gateway.read()
    assert "b" in reading.faults
    assert "a" not in reading.faults
    assert a.power_kw == pytest.approx(-5.0)


async def test_station_hanging_up_mid_dispatch_is_offline(csms_factory):
    """A station that drops the connection on the profile is an OFFLINE rejection; others are applied."""
    fleet = make_fleet("a", "b")
    csms = await csms_factory(fleet, call_timeout_s=5.0)
    a = await csms.station(fleet.evs[0])
    b = await csms.station(fleet.evs[1])
    b.behaviour = Behaviour.HANG_UP
    result = await csms.gateway.apply({"a": 2.0, "b": 2.0}, valid_until=later())
    assert result.accepted == ("a",)
    assert result.rejected[0].ev_id == "b"
    assert result.rejected[0].reason is RejectReason.OFFLINE
    assert "offline" in csms.kinds("b")
    await until(lambda: not csms.gateway.station("b").online)
    reading = await csms.gateway.read()
    assert not reading.ev("b").online
    assert reading.ev("a").online
    assert a.control is not None


async def test_silent_station_times_out(csms_factory):
    """A station that never answers costs one call timeout, then is an OFFLINE rejection."""
    fleet = make_fleet("a", "b")
    csms = await csms_factory(fleet, call_timeout_s=0.3)
    await csms.station(fleet.evs[0])
    b = await csms.station(fleet.evs[1])
    b.behaviour = Behaviour.SILENT
    result = await csms.gateway.apply({"a": 1.0, "b": 1.0}, valid_until=later())
    assert result.accepted == ("a",)
    assert result.rejected[0].reason is RejectReason.OFFLINE
    assert "0.3" in result.rejected[0].detail
    assert "offline" in csms.kinds("b")


async def test_unknown_unplugged_offline_and_invalid_are_refused(csms_factory):
    """Setpoints for an unknown EV, an unplugged one, a disconnected one or NaN never reach a station."""
    fleet = make_fleet("home", "gone", "away")
    csms = await csms_factory(fleet)
    await csms.station(fleet.evs[0])
    await csms.station(make_ev("away", plugged_in=False))
    result = await csms.gateway.apply(
        {"nope": 1.0, "home": float("nan"), "gone": 1.0, "away": 1.0}, valid_until=later()
    )
    reasons = {r.ev_id: r.reason for r in result.rejected}
    assert reasons == {
        "nope": RejectReason.UNKNOWN_EV,
        "home": RejectReason.INVALID,
        "gone": RejectReason.OFFLINE,
        "away": RejectReason.NOT_PLUGGED_IN,
    }
