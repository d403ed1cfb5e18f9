"""OCPP fail-safe: TxProfiles end (validTo, duration; 2.1 maxOfflineDuration) and stations fall back to their
TxDefaultProfile, the EV's baseline behaviour, by themselves."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.ocpp.conftest import make_fleet
from tests.waiting import until
from ven.chargers.cpsim import Limit, Setpoint
from ven.chargers.cpsim.profiles import TX_DEFAULT_PROFILE, TX_PROFILE, ProfileStack, parse_profile
from ven.chargers.ocpp import OcppVersion, profiles
from ven.clock import ManualClock

TTL = timedelta(seconds=20)


def purposes(station) -> list[str]:
    return sorted(p.purpose for p in station.profiles)


@pytest.mark.parametrize("version", list(OcppVersion))
async def test_a_station_falls_back_to_baseline_when_its_setpoint_lapses(csms_factory, version):
    """With no fresh setpoint by its validTo the station charges at full rate again, from exactly then."""
    fleet = make_fleet("a")
    clock = ManualClock(datetime.now(UTC))
    csms = await csms_factory(fleet, clock)
    station = await csms.station(fleet.evs[0], version, clock=clock)
    await until(lambda: purposes(station) == [TX_DEFAULT_PROFILE])  # installed at boot
    assert station.control is None
    energy_kwh = station.soc * 60.0
    asked_kw = -5.0 if version.can_discharge else 2.0
    result = await csms.gateway.apply({"a": asked_kw}, valid_until=clock.now() + TTL)
    assert result.ok
    assert station.control is not None
    assert (await csms.gateway.read()).ev("a").setpoint_kw == pytest.approx(asked_kw)

    clock.advance(TTL + timedelta(seconds=10))  # the VEN is silent past the setpoint's end
    assert station.control is None
    assert station.power_kw == pytest.approx(11.0)  # the TxDefaultProfile: full rate, the baseline
    held_h, after_h = TTL.total_seconds() / 3600, 10 / 3600
    held_kwh = asked_kw * held_h * (0.92 if asked_kw > 0 else 1 / 0.92)
    assert station.soc * 60.0 == pytest.approx(energy_kwh + held_kwh + 0.92 * 11.0 * after_h)
    assert (await csms.gateway.read()).ev("a").setpoint_kw is None  # the CSMS knows it lapsed too


def test_setpoint_profiles_carry_their_end():
    """TxProfiles say when they end (validTo, schedule duration); 2.1 ones also end once offline that long."""
    start = datetime(2026, 7, 14, 20, 0, 0, 500000, tzinfo=UTC)
    for version in OcppVersion:
        request = profiles.set_charging_profile(
            version,
            power_kw=-3.0,
            max_charge_kw=11.0,
            max_discharge_kw=10.0,
            transaction_id="tx",
            evse_id=1,
            start=start,
            valid_until=start + timedelta(seconds=4.7),
        )
        profile = request.charging_profile
        assert profile["valid_to"] == "2026-07-14T20:00:05.200000Z"
        assert profile["charging_schedule"][0]["duration"] == 4  # whole seconds, never past validTo
        offline = profile.get("max_offline_duration")
        assert offline == (4 if version.can_discharge else None)
        assert profile.get("invalid_after_offline_duration") is (True if version.can_discharge else None)


def test_the_default_profile_is_full_rate_charging_on_every_evse():
    """TxDefaultProfile: evseId 0, no end, a limit at the EV's max charge rate (2.1: ChargingOnly)."""
    for version in OcppVersion:
        request = profiles.default_profile(version, max_charge_kw=11.0)
        assert request.evse_id == 0
        parsed = parse_profile(request.charging_profile)
        assert parsed is not None
        assert parsed.purpose == TX_DEFAULT_PROFILE
        assert parsed.control == Limit(11.0)
        assert (parsed.valid_from_ts, parsed.valid_to_ts) == (-math.inf, math.inf)


def _profile(profile_id: int, purpose: str, **fields: object) -> dict[str, object]:
    period = {"start_period": 0, "limit": 5000.0, "setpoint": -4000.0, "discharge_limit": -6000.0}
    schedule = {"id": 1, "charging_rate_unit": "W", "charging_schedule_period": [period]}
    return {"id": profile_id, "stack_level": 0, "charging_profile_purpose": purpose,
            "charging_schedule": [schedule], **fields}  # fmt: skip


def test_max_offline_duration_ends_a_profile_while_offline_and_for_good():
    """Offline longer than maxOfflineDuration: the TxProfile stops governing (the default takes over), and
    with invalidAfterOfflineDuration it stays invalid once the station is back online."""
    stack = ProfileStack()
    default = parse_profile(_profile(2, TX_DEFAULT_PROFILE))
    tx = parse_profile(_profile(1, TX_PROFILE, max_offline_duration=5, invalid_after_offline_duration=True))
    assert default is not None
    assert tx is not None
    stack.install(default)
    stack.install(tx)
    assert stack.governing(100.0) is tx
    assert stack.governing(104.0, offline_since_ts=100.0) is tx
    assert stack.next_change_ts(101.0, offline_since_ts=100.0) == 105.0
    assert stack.governing(105.0, offline_since_ts=100.0) is default
    stack.back_online(offline_since_ts=100.0, now_ts=106.0)
    assert stack.governing(106.0) is default
    assert isinstance(tx.control, Setpoint)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--fleet", "missing.csv", "--csms", "ws://127.0.0.1:1"], "missing.csv"),
        (["--fleet", "fleet.csv", "--csms", "http://127.0.0.1:1"], "--csms must be a ws:// or wss:// URL"),
        (["--fleet", "fleet.csv", "--csms", "ws://127.0.0.1:1", "--meter-interval", "often"], "often"),
        (["--fleet", "fleet.csv"], "--csms"),
    ],
)
def test_the_station_simulator_cli_refuses_bad_input_in_one_line(tmp_path, args, expected):
    """`python -m ven.chargers.cpsim` with a bad fleet, URL or argument: exit 2, one line on stderr."""
    (tmp_path / "fleet.csv").write_text("ev_id,site,capacity_kwh,soc,max_charge_kw\na,s,60,0.5,11\n")
    result = subprocess.run(
        [sys.executable, "-m", "ven.chargers.cpsim", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert expected in result.stderr
    assert result.stdout == ""
