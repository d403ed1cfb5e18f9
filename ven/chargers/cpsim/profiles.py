"""The charging profiles a simulated station holds, and which one governs its EV at any moment.

As a real station does (OCPP 2.0.1/2.1, smart charging): a TxProfile of the running transaction, when one is
valid, governs; otherwise the TxDefaultProfile; otherwise nothing (the EV charges on its own). A profile is
valid from `validFrom` until `validTo`, its schedule runs from `startSchedule` for `duration` seconds, and a
2.1 profile with `maxOfflineDuration` stops being valid once the station has been offline that long (for
good with `invalidAfterOfflineDuration`). When the governing profile lapses, the station falls back to the
next one by itself: the CSMS need not be there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ven.chargers.cpsim.ev import Control, Limit, Setpoint
from ven.errors import InputError
from ven.timeparse import parse_iso_datetime

_W_PER_KW = 1000.0
TX_PROFILE = "TxProfile"
TX_DEFAULT_PROFILE = "TxDefaultProfile"
_PURPOSES = (TX_PROFILE, TX_DEFAULT_PROFILE)


@dataclass(frozen=True, slots=True)
class Profile:
    """One installed charging profile, reduced to what decides when and how it governs."""

    profile_id: int
    purpose: str
    stack_level: int
    control: Control
    valid_from_ts: float = -math.inf
    valid_to_ts: float = math.inf
    max_offline_s: float = math.inf
    invalid_after_offline: bool = False

    def boundaries(self) -> tuple[float, ...]:
        return (self.valid_from_ts, self.valid_to_ts)


def parse_profile(charging_profile: dict[str, Any]) -> Profile | None:
    """The profile from a SetChargingProfile payload (snake_case); None if it is not one we follow."""
    purpose = str(charging_profile.get("charging_profile_purpose", ""))
    control = _control(charging_profile)
    if purpose not in _PURPOSES or control is None:
        return None
    schedule = charging_profile["charging_schedule"][0]
    try:
        valid_from = _ts(charging_profile.get("valid_from"), -math.inf)
        valid_to = _ts(charging_profile.get("valid_to"), math.inf)
        start = _ts(schedule.get("start_schedule"), -math.inf)
    except InputError:  # the schema admits any string as a date-time; a station refuses what it cannot read
        return None
    duration = schedule.get("duration")
    if duration is not None and math.isfinite(start):  # the schedule ends; after it, no limit from it
        valid_to = min(valid_to, start + float(duration))
    valid_from = max(valid_from, start)
    offline = charging_profile.get("max_offline_duration")
    return Profile(
        profile_id=int(charging_profile["id"]),
        purpose=purpose,
        stack_level=int(charging_profile.get("stack_level", 0)),
        control=control,
        valid_from_ts=valid_from,
        valid_to_ts=valid_to,
        max_offline_s=math.inf if offline is None else float(offline),
        invalid_after_offline=bool(charging_profile.get("invalid_after_offline_duration", False)),
    )


class ProfileStack:
    """The station's installed profiles (by id) and the composite control they give at a time."""

    def __init__(self) -> None:
        self._profiles: dict[int, Profile] = {}
        self._dropped: set[int] = set()  # invalid for good after being offline too long

    def installed(self) -> tuple[Profile, ...]:
        return tuple(self._profiles.values())

    def install(self, profile: Profile) -> None:
        """Add `profile`, replacing one with the same id."""
        self._profiles[profile.profile_id] = profile
        self._dropped.discard(profile.profile_id)

    def clear(self, profile_id: int | None = None, purpose: str | None = None) -> bool:
        """Remove the matching profiles; True if there was one."""
        gone = [
            p.profile_id
            for p in self._profiles.values()
            if (profile_id is None or p.profile_id == profile_id)
            and (purpose is None or p.purpose == purpose)
        ]
        for key in gone:
            del self._profiles[key]
        return bool(gone)

    def governing(self, now_ts: float, offline_since_ts: float | None = None) -> Profile | None:
        """The profile in force at `now_ts`: the highest valid TxProfile, else the TxDefaultProfile."""
        valid = [p for p in self._profiles.values() if self._valid(p, now_ts, offline_since_ts)]
        for purpose in _PURPOSES:
            candidates = [p for p in valid if p.purpose == purpose]
            if candidates:
                return max(candidates, key=lambda p: (p.stack_level, p.valid_from_ts))
        return None

    def next_change_ts(self, after_ts: float, offline_since_ts: float | None = None) -> float:
        """The first moment after `after_ts` when a profile starts or stops being valid (inf: none)."""
        moments = [t for p in self._profiles.values() for t in p.boundaries()]
        if offline_since_ts is not None:
            moments += [offline_since_ts + p.max_offline_s for p in self._profiles.values()]
        later = [t for t in moments if after_ts < t < math.inf]
        return min(later, default=math.inf)

    def back_online(self, offline_since_ts: float, now_ts: float) -> None:
        """The station reconnected: profiles that lapsed offline and say so stay invalid for good."""
        for profile in self._profiles.values():
            if profile.invalid_after_offline and now_ts >= offline_since_ts + profile.max_offline_s:
                self._dropped.add(profile.profile_id)

    def _valid(self, profile: Profile, now_ts: float, offline_since_ts: float | None) -> bool:
        if profile.profile_id in self._dropped or not profile.valid_from_ts <= now_ts < profile.valid_to_ts:
            return False
        return offline_since_ts is None or now_ts < offline_since_ts + profile.max_offline_s


def _ts(value: Any, default: float) -> float:
    return default if value is None else parse_iso_datetime(str(value)).timestamp()


def _control(charging_profile: dict[str, Any]) -> Control:
    """The first period of the profile's first schedule, as a control; None if it has none we follow."""
    schedules = charging_profile.get("charging_schedule") or []
    periods = (schedules[0].get("charging_schedule_period") or []) if schedules else []
    if not periods or schedules[0].get("charging_rate_unit") != "W":
        return None
    period = periods[0]
    if period.get("setpoint") is not None:
        return Setpoint(
            power_kw=float(period["setpoint"]) / _W_PER_KW,
            max_charge_kw=float(period.get("limit", float("inf"))) / _W_PER_KW,
            max_discharge_kw=-float(period.get("discharge_limit", 0.0)) / _W_PER_KW,
        )
    if period.get("limit") is not None:
        return Limit(float(period["limit"]) / _W_PER_KW)
    return None
