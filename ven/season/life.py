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
import math
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ven.chargers.schedule import PlugEvent
from ven.model.fleet import Fleet

if TYPE_CHECKING:
    from ven.model.fleet import EV
    from ven.season.config import LifeProfile, SchoolCalendar

# Plug-in and departure times fall on this grid (people leave at 07:35, not at 07:36:12), which also
# keeps the simulator's steps few.
RESOLUTION = timedelta(minutes=5)
TRIP_SHARE_DEFAULT = 0.2  # a trip's energy, as a share of capacity, when nothing says better
_SD_LIMIT = 3.0  # normal draws are cut at ±3 standard deviations


@dataclass(frozen=True, slots=True)
class Trip:
    """One absence: announced to leave at `planned`, actually leaves at `leave`, back at `back`."""

    planned: datetime
    leave: datetime
    back: datetime
    used_kwh: float

    @property
    def early(self) -> bool:
        return self.leave < self.planned


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
        return [life.trips[0].planned.timestamp() if life.trips else None for life in self.lives]

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
    for ev in fleet.evs:
        profile = next((p for p in profiles if any(fnmatch.fnmatchcase(ev.site, g) for g in p.sites)), None)
        trips = () if profile is None else _trips(ev, profile, span)
        lives.append(EvLife(ev.ev_id, trips))
        for trip, following in _with_next(trips):
            announced[(ev.ev_id, trip.back.timestamp())] = (
                None if following is None else following.planned.timestamp()
            )
    return FleetLife(tuple(lives), announced)


def _trips(ev: EV, profile: LifeProfile, span: Span) -> tuple[Trip, ...]:
    routine = ev.routine
    zone = routine.timezone if routine is not None else span.timezone
    leave_at = routine.departure if routine is not None else profile.departure
    back_at = routine.plug_in if routine is not None and routine.plug_in is not None else profile.plug_in
    if leave_at is None or back_at is None:
        return ()
    days = routine.days if routine is not None else profile.days
    rng = random.Random(f"{span.seed}:{ev.ev_id}")  # noqa: S311 - a simulation's seeded draw
    program = None if span.school is None else span.school.summer_program
    summer = program is not None and rng.random() < program.share
    mean_kwh = _mean_trip_kwh(ev, profile)
    trips: list[Trip] = []
    day = span.start.astimezone(zone).date()
    while True:
        planned = _at(day, leave_at, zone, rng, profile.departure_sd)
        if planned >= span.end:
            break
        travels = (
            day.weekday() in days and day not in span.holidays and _in_calendar(day, profile, span, summer)
        )
        # Draw every figure whether or not the EV travels: one day's choice does not shift the next's.
        back = _at(day, back_at, zone, rng, profile.plug_in_sd)
        if back_at <= leave_at:
            back += timedelta(days=1)
        used = max(rng.gauss(mean_kwh, mean_kwh * profile.trip_sd_share), 0.0)
        early = rng.random() < profile.early_share
        low, high = profile.early_by
        leave = planned - _rounded(timedelta(seconds=rng.uniform(low.total_seconds(), high.total_seconds())))
        skip = rng.random() < profile.skip_share
        leave = leave if early else planned
        if travels and not skip and planned >= span.start and _fits(trips, leave, back):
            trips.append(Trip(planned, leave, back, min(used, ev.capacity_kwh)))
        day += timedelta(days=1)
    return tuple(trips)


def _in_calendar(day: date, profile: LifeProfile, span: Span, summer: bool) -> bool:
    """School profiles travel in session, and summer-program buses on its days; the others always."""
    school = span.school
    if profile.calendar != "school" or school is None or school.in_session(day):
        return True
    program = school.summer_program
    return (
        summer
        and program is not None
        and program.first <= day <= program.last
        and day.weekday() in program.days
    )


def _with_next(trips: tuple[Trip, ...]) -> list[tuple[Trip, Trip | None]]:
    """Each trip with the one after it (None after the last)."""
    return list(zip(trips, (*trips[1:], None), strict=True)) if trips else []


def _fits(trips: list[Trip], leave: datetime, back: datetime) -> bool:
    """A trip starts after the last one ended (with a step to plug in) and ends after it starts."""
    if back <= leave:
        return False
    return not trips or leave >= trips[-1].back + RESOLUTION


def _mean_trip_kwh(ev: EV, profile: LifeProfile) -> float:
    """The profile's figure; else what the routine implies (it leaves at departure_soc, arrives at
    plug_in_soc); else a default share of the battery."""
    if profile.trip_kwh is not None:
        return profile.trip_kwh
    routine = ev.routine
    if routine is not None and routine.plug_in_soc is not None:
        return max(ev.departure_soc - routine.plug_in_soc, 0.0) * ev.capacity_kwh
    return TRIP_SHARE_DEFAULT * ev.capacity_kwh


def _at(day: date, at: time, zone: ZoneInfo, rng: random.Random, sd: timedelta) -> datetime:
    """`day` at local `at`, moved by a normal draw of standard deviation `sd`, on the RESOLUTION grid."""
    spread = max(-_SD_LIMIT, min(_SD_LIMIT, rng.gauss(0.0, 1.0))) * sd.total_seconds()
    local = datetime.combine(day, at, tzinfo=zone) + _rounded(timedelta(seconds=spread))
    return local.astimezone(UTC)


def _rounded(delta: timedelta) -> timedelta:
    step = RESOLUTION.total_seconds()
    return timedelta(seconds=step * math.floor(delta.total_seconds() / step + 0.5))
