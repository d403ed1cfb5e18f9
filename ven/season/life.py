"""The fleet's life between events: each EV's trips, day by day, seeded and varied around its routine.

An EV's enrollment routine (departure and plug-in as local times, days, plug-in SOC; docs/fleet.md) is the
mean pattern; its site's life profile (season.toml `[[life]]`) says which days it travels (a school
calendar with its summer vacation, a work week, a commute with days at home), how much the times vary and
how much energy a trip uses. Every EV draws from its own generator seeded with the season seed and its
id, so its life is the same whatever the policy or the rest of the fleet.

What the VEN learns, and when (docs/season.md): when an EV plugs in it announces its next departure, as an
ISO 15118 / OCPP 2.1 EV does in NotifyEVChargingNeeds (`departureTime`). Most trips start then; on a
profile's `early_share` of trips the owner leaves earlier than announced, without telling anyone.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np

from ven.chargers.schedule import PlugEvent
from ven.model.fleet import Fleet

if TYPE_CHECKING:
    from ven.model.fleet import EV, FloatArray, IntArray
    from ven.season.config import LifeProfile, SchoolCalendar

# Plug-in and departure times fall on this grid (people leave at 07:35, not at 07:36:12), which also
# keeps the simulator's steps few.
RESOLUTION = timedelta(minutes=5)
TRIP_SHARE_DEFAULT = 0.2  # a trip's energy, as a share of capacity, when nothing says better
_SD_LIMIT = 3.0  # normal draws are cut at ±3 standard deviations


@dataclass(frozen=True, slots=True)
class Trip:
    """One absence (POSIX seconds): announced to leave at `planned_ts`, leaves at `leave_ts`, back at
    `back_ts`, having used `used_kwh`."""

    planned_ts: float
    leave_ts: float
    back_ts: float
    used_kwh: float

    @property
    def planned(self) -> datetime:
        return datetime.fromtimestamp(self.planned_ts, UTC)

    @property
    def leave(self) -> datetime:
        return datetime.fromtimestamp(self.leave_ts, UTC)

    @property
    def back(self) -> datetime:
        return datetime.fromtimestamp(self.back_ts, UTC)

    @property
    def early(self) -> bool:
        return self.leave_ts < self.planned_ts


@dataclass(frozen=True)
class EvLife:
    ev_id: str
    trips: tuple[Trip, ...]


@dataclass(frozen=True)
class FleetLife:
    """Every EV's trips over the simulated span; what the simulator and the season's gateway run on."""

    lives: tuple[EvLife, ...]  # in fleet order
    announced: dict[tuple[str, float], float | None] = field(repr=False)  # (ev, plug-in ts) -> departure ts

    def initial_fleet(self, fleet: Fleet) -> Fleet:
        """The fleet at the start: every EV plugged in, leaving on its first trip (actual time)."""
        evs = tuple(
            replace(ev, plugged_in=True, routine=None, departure=life.trips[0].leave if life.trips else None)
            for ev, life in zip(fleet.evs, self.lives, strict=True)
        )
        return Fleet(evs)

    def first_announced(self) -> list[float | None]:
        """Each EV's announced departure at the start (its first trip as planned)."""
        return [life.trips[0].planned_ts if life.trips else None for life in self.lives]

    def arrivals(self) -> list[PlugEvent]:
        """Every return from a trip: the energy it used, and when the EV will really leave again."""
        events = []
        for life in self.lives:
            for trip, following in _with_next(life.trips):
                events.append(
                    PlugEvent(
                        trip.back,
                        life.ev_id,
                        plugged_in=True,
                        used_kwh=trip.used_kwh,
                        departure=None if following is None else following.leave,
                    )
                )
        return events

    @property
    def trip_count(self) -> int:
        return sum(len(life.trips) for life in self.lives)


@dataclass(frozen=True)
class Span:
    """The simulated span and the calendars that shape it."""

    start: datetime
    end: datetime
    timezone: ZoneInfo  # for EVs whose enrollment gives no routine (and no zone)
    holidays: frozenset[date] = frozenset()
    school: SchoolCalendar | None = None
    seed: int = 0


def plan_life(fleet: Fleet, profiles: list[LifeProfile], span: Span) -> FleetLife:
    """Every EV's trips that start in the span; EVs no profile matches (or with no times) stay put."""
    lives = []
    announced: dict[tuple[str, float], float | None] = {}
    calendars: dict[str, _Days] = {}
    for ev in fleet.evs:
        profile = next((p for p in profiles if any(fnmatch.fnmatchcase(ev.site, g) for g in p.sites)), None)
        zone = span.timezone if ev.routine is None else ev.routine.timezone
        days = calendars.get(zone.key) or calendars.setdefault(zone.key, _Days(span, zone))
        trips = () if profile is None else _trips(ev, profile, span, days)
        lives.append(EvLife(ev.ev_id, trips))
        for trip, following in _with_next(trips):
            announced[(ev.ev_id, trip.back_ts)] = None if following is None else following.planned_ts
    return FleetLife(tuple(lives), announced)


class _Days:
    """The span's days in one time zone: weekday, holiday and school flags, and local times as POSIX
    seconds (computed once per distinct time of day, DST included)."""

    def __init__(self, span: Span, zone: ZoneInfo) -> None:
        first = span.start.astimezone(zone).date()
        count = (span.end.astimezone(zone).date() - first).days + 2  # one more: returns the next day
        self.dates = [first + timedelta(days=k) for k in range(count)]
        self.zone = zone
        self.weekday = np.array([d.weekday() for d in self.dates])
        self.holiday = np.array([d in span.holidays for d in self.dates])
        school = span.school
        self.in_session = np.array([school is None or school.in_session(d) for d in self.dates])
        program = None if school is None else school.summer_program
        self.program_day = np.array(
            [
                program is not None and program.first <= d <= program.last and d.weekday() in program.days
                for d in self.dates
            ]
        )
        self._times: dict[time, FloatArray] = {}

    def at(self, when: time) -> FloatArray:
        """Each day at local `when`, as POSIX seconds."""
        found = self._times.get(when)
        if found is None:
            found = np.array([datetime.combine(d, when, tzinfo=self.zone).timestamp() for d in self.dates])
            self._times[when] = found
        return found


def _trips(ev: EV, profile: LifeProfile, span: Span, days: _Days) -> tuple[Trip, ...]:
    routine = ev.routine
    leave_at = routine.departure if routine is not None else profile.departure
    back_at = routine.plug_in if routine is not None and routine.plug_in is not None else profile.plug_in
    if leave_at is None or back_at is None:
        return ()
    weekdays = routine.days if routine is not None else profile.days
    rng = np.random.default_rng(_seed(span.seed, ev.ev_id))
    program = None if span.school is None else span.school.summer_program
    summer = bool(rng.random() < (0.0 if program is None else program.share))
    count = len(days.dates) - 1
    # Every figure is drawn for every day, travelling or not: one day's choice does not shift the next's.
    leave_z, back_z, early_u, skip_u = (
        rng.standard_normal(count),
        rng.standard_normal(count),
        *rng.random((2, count)),
    )
    mean_kwh = _mean_trip_kwh(ev, profile)
    used = np.clip(rng.normal(mean_kwh, mean_kwh * profile.trip_sd_share, count), 0.0, ev.capacity_kwh)
    low, high = (d.total_seconds() for d in profile.early_by)
    early_s = _grid(rng.uniform(low, high, count))
    planned = days.at(leave_at)[:count] + _grid(
        np.clip(leave_z, -_SD_LIMIT, _SD_LIMIT) * profile.departure_sd.total_seconds()
    )
    back_days = days.at(back_at)[1:] if back_at <= leave_at else days.at(back_at)[:count]
    back = back_days + _grid(np.clip(back_z, -_SD_LIMIT, _SD_LIMIT) * profile.plug_in_sd.total_seconds())
    leave = np.where(early_u < profile.early_share, planned - early_s, planned)
    calendar = (
        days.in_session[:count] | (summer & days.program_day[:count])
        if profile.calendar == "school"
        else True
    )
    travels = (
        np.isin(days.weekday[:count], list(weekdays))
        & ~days.holiday[:count]
        & calendar
        & (skip_u >= profile.skip_share)
        & (planned >= span.start.timestamp())
        & (planned < span.end.timestamp())
        & (back > leave)
    )
    chosen = np.flatnonzero(travels)
    starts, ends = leave[chosen], back[chosen]
    # A trip starts only after the last one ended, with a step to plug in (a clash is rare: check first).
    if len(chosen) > 1 and bool((starts[1:] < ends[:-1] + RESOLUTION.total_seconds()).any()):
        chosen = _apart(chosen, leave, back)
    rows = zip(
        planned[chosen].tolist(),
        leave[chosen].tolist(),
        back[chosen].tolist(),
        used[chosen].tolist(),
        strict=True,
    )
    return tuple(Trip(*row) for row in rows)


def _apart(chosen: IntArray, leave: FloatArray, back: FloatArray) -> IntArray:
    """The candidate trips kept when each must start after the previous kept one ended."""
    kept: list[int] = []
    free_from = -math.inf
    for k in chosen.tolist():
        if leave[k] >= free_from:
            kept.append(k)
            free_from = float(back[k]) + RESOLUTION.total_seconds()
    return np.array(kept, dtype=np.int64)


def _seed(seed: int, ev_id: str) -> int:
    """A stable seed for one EV: its life does not depend on the rest of the fleet or on Python's hash."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{ev_id}".encode()).digest()[:8], "little")


def _grid(seconds: FloatArray) -> FloatArray:
    """Seconds rounded to the RESOLUTION grid (half away from zero, as people round clock times)."""
    step = RESOLUTION.total_seconds()
    return np.asarray(step * np.floor(seconds / step + 0.5))


def _with_next(trips: tuple[Trip, ...]) -> list[tuple[Trip, Trip | None]]:
    """Each trip with the one after it (None after the last)."""
    return list(zip(trips, (*trips[1:], None), strict=True)) if trips else []


def _mean_trip_kwh(ev: EV, profile: LifeProfile) -> float:
    """The profile's figure; else what the routine implies (it leaves at departure_soc, arrives at
    plug_in_soc); else a default share of the battery."""
    if profile.trip_kwh is not None:
        return profile.trip_kwh
    routine = ev.routine
    if routine is not None and routine.plug_in_soc is not None:
        return max(ev.departure_soc - routine.plug_in_soc, 0.0) * ev.capacity_kwh
    return TRIP_SHARE_DEFAULT * ev.capacity_kwh
