"""An EV's habit: the local time it leaves, the days it does, and when it plugs back in.

Enrollment files may give a departure as a local time of day (`06:15`) instead of an absolute time, so
that a fleet file means the same thing on any date. The routine turns that habit into concrete instants:
the next departure after a given time, and the trips (leave, back) in a window — what the simulated
fleet, the flexibility forecast and the season simulator all build on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ven.errors import InputError

ALL_DAYS = frozenset(range(7))
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_SETS = {"daily": ALL_DAYS, "weekdays": frozenset(range(5)), "weekends": frozenset({5, 6})}
_TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2})$")

# A plugged-in EV whose habitual departure passed less than this long ago is taken to be leaving late,
# not to stay until tomorrow: its departure stays in the past (it is never planned), so it charges as usual.
LATE_DEPARTURE_GRACE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Trip:
    """One absence: the EV leaves at `leave` and plugs back in at `back` (None: not within the routine)."""

    leave: datetime
    back: datetime | None


@dataclass(frozen=True, slots=True)
class Routine:
    """Leaves at `departure` (local time in `timezone`) on `days` (0 = Monday); back at `plug_in` with
    `plug_in_soc` when known. A `plug_in` earlier in the day than `departure` means the next day."""

    timezone: ZoneInfo
    departure: time
    days: frozenset[int] = ALL_DAYS
    plug_in: time | None = None
    plug_in_soc: float | None = None

    def __post_init__(self) -> None:
        if not self.days or not self.days <= ALL_DAYS:
            raise ValueError("a routine needs at least one weekday (0 = Monday .. 6 = Sunday)")

    def departures(self, after: datetime) -> Iterator[datetime]:
        """Every departure strictly after `after`, in time order (aware datetimes in UTC order)."""
        day = after.astimezone(self.timezone).date() - timedelta(days=1)
        while True:
            if day.weekday() in self.days:
                leave = local_instant(day, self.departure, self.timezone)
                if leave > after:
                    yield leave
            day += timedelta(days=1)

    def next_departure(self, after: datetime) -> datetime:
        return next(self.departures(after))

    def current_departure(self, now: datetime) -> datetime:
        """The departure that governs an EV plugged in at `now`: the next one, unless the last one passed
        less than LATE_DEPARTURE_GRACE ago (the driver is late: the EV is about to leave)."""
        return self.next_departure(now - LATE_DEPARTURE_GRACE)

    def trips(self, start: datetime, end: datetime) -> list[Trip]:
        """The absences that begin in [start, end)."""
        found: list[Trip] = []
        for leave in self.departures(start - timedelta(microseconds=1)):
            if leave >= end:
                break
            found.append(Trip(leave, self.back_after(leave)))
        return found

    def next_plug_in(self, after: datetime) -> datetime | None:
        """The first `plug_in` time strictly after `after` (an EV away at start comes back then)."""
        if self.plug_in is None:
            return None
        day = after.astimezone(self.timezone).date()
        back = local_instant(day, self.plug_in, self.timezone)
        return back if back > after else local_instant(day + timedelta(days=1), self.plug_in, self.timezone)

    def back_after(self, leave: datetime) -> datetime | None:
        """When the EV plugs back in after leaving at `leave` (the first `plug_in` time after it)."""
        return self.next_plug_in(leave)


def next_local_time(text: str, after: datetime, zone: tzinfo) -> datetime:
    """The first instant at or after `after` whose local time in `zone` is `text` (HH:MM), in UTC."""
    at = parse_time_of_day(text)
    day = after.astimezone(zone).date()
    candidate = local_instant(day, at, zone)
    if candidate < after:
        candidate = local_instant(day + timedelta(days=1), at, zone)
    return candidate.astimezone(UTC)


def local_instant(day: date, at: time, zone: tzinfo) -> datetime:
    """`day` at local time `at` in `zone`, as an aware datetime (fold=0 in a DST overlap; a time in a DST
    gap is normalised forward by the round trip through UTC)."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(ZoneInfo("UTC")).astimezone(zone)


def parse_time_of_day(text: str) -> time:
    """`HH:MM` (24 h) as a time; InputError otherwise."""
    match = _TIME_OF_DAY.match(text.strip())
    if match is None:
        raise InputError(f"not a local time of day: {text!r} (use HH:MM, e.g. 06:15)")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise InputError(f"not a local time of day: {text!r} (hours 0-23, minutes 0-59)")
    return time(hours, minutes)


def is_time_of_day(text: str) -> bool:
    return _TIME_OF_DAY.match(text.strip()) is not None


def parse_days(text: str) -> frozenset[int]:
    """`daily`, `weekdays`, `weekends`, or a comma list of days and ranges (`mon-fri`, `mon,wed,fri`)."""
    lowered = text.strip().lower()
    if lowered in _DAY_SETS:
        return _DAY_SETS[lowered]
    days: set[int] = set()
    for part in lowered.replace(";", ",").split(","):
        first, _, last = part.strip().partition("-")
        if first not in _DAY_NAMES or (last and last not in _DAY_NAMES):
            raise InputError(
                f"not a list of days: {text!r} (use daily, weekdays, weekends, or e.g. mon-fri or mon,wed)"
            )
        a = _DAY_NAMES.index(first)
        b = _DAY_NAMES.index(last) if last else a
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(b + 1)])
    return frozenset(days)


def parse_timezone(text: str) -> ZoneInfo:
    """An IANA time zone name (`America/New_York`, `UTC`); InputError naming it otherwise."""
    name = text.strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r} (use an IANA name such as America/New_York)") from None
