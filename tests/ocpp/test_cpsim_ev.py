"""The simulated station's EV: CONTRACT.md physics under each kind of control."""

from __future__ import annotations

import pytest

from ven.chargers.cpsim import EvSpec, Limit, Setpoint, StationEV

SPEC = EvSpec(
    capacity_kwh=60.0, soc=0.5, max_charge_kw=11.0, max_discharge_kw=10.0, target_soc=0.9, efficiency=0.9
)


def test_unmanaged_charges_at_full_rate_until_target():
    """No profile: full rate, stopping exactly at target_soc."""
    ev = StationEV(SPEC)
    assert ev.power_kw() == 11.0
    ev.advance(10 * 3600.0)
    assert ev.soc == pytest.approx(0.9)
    assert ev.power_kw() == 0.0


def test_setpoint_discharge_follows_efficiency():
    """Discharging p for dt removes p·dt/efficiency from the battery."""
    ev = StationEV(SPEC)
    ev.control = Setpoint(power_kw=-9.0, max_charge_kw=11.0, max_discharge_kw=10.0)
    ev.advance(3600.0)
    assert ev.energy_kwh == pytest.approx(30.0 - 9.0 / 0.9)


def test_setpoint_is_bounded_by_profile_and_ev_limits():
    """The setpoint is clipped to the profile's dischargeLimit and the EV's own limit."""
    ev = StationEV(SPEC)
    ev.control = Setpoint(power_kw=-50.0, max_charge_kw=11.0, max_discharge_kw=4.0)
    assert ev.power_kw() == -4.0
    ev.control = Setpoint(power_kw=50.0, max_charge_kw=40.0, max_discharge_kw=4.0)
    assert ev.power_kw() == 11.0


def test_limit_caps_baseline_charging():
    """A 2.0.1 limit caps charging; it never makes the EV charge past target or discharge."""
    ev = StationEV(SPEC)
    ev.control = Limit(5.0)
    assert ev.power_kw() == 5.0
    ev.control = Limit(-3.0)
    assert ev.power_kw() == 0.0


def test_battery_management_stops_at_empty():
    """Discharge stops when the battery is empty, whatever the setpoint."""
    ev = StationEV(EvSpec(capacity_kwh=1.0, soc=0.01, max_charge_kw=11.0, max_discharge_kw=10.0))
    ev.control = Setpoint(power_kw=-10.0, max_charge_kw=11.0, max_discharge_kw=10.0)
    ev.advance(3600.0)
    assert ev.energy_kwh == pytest.approx(0.0)
