"""Time windows: concrete ones (`Window`) and recurring local-time ones (`RecurringWindow`, ven.toml's
`[[opt.unavailable]]`): on `days`, from `start` to `end` local time; an `end` before `start` crosses
midnight into the next day, an `end` equal to `start` lasts a whole day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from ven.model.routine import ALL_DAYS, local_instant

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True, order=True)
class Window:
    """[start, end): aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window times must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(f"a window must end after it starts ({self.start} .. {self.end})")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def clipped(self, start: datetime, end: datetime) -> Window | None:
        """The part of this window within [start, end), or None."""
        begin, finish = max(self.start, start), min(self.end, end)
        return Window(begin, finish) if finish > begin else None


@dataclass(frozen=True, slots=True)
class RecurringWindow:
    """A window on `days` (0 = Monday; the day it starts) from `start` to `end`, local time."""

    start: time
    end: time
    days: frozenset[int] = ALL_DAYS

    def __post_init__(self) -> None:
        if not self.days or not self.days <= ALL_DAYS:
            raise ValueError("a recurring window needs at least one weekday (0 = Monday .. 6 = Sunday)")

    def occurrences(self, zone: ZoneInfo, since: datetime, until: datetime) -> list[Window]:
        """Every occurrence overlapping [since, until), in time order (whole, not clipped)."""
        found: list[Window] = []
        day = since.astimezone(zone).date() - _DAY  # yesterday's may still be running
        while True:
            begin = local_instant(day, self.start, zone)
            if begin >= until:
                return found
            if day.weekday() in self.days:
                end_day = day if self.end > self.start else day + _DAY
                finish = local_instant(end_day, self.end, zone)
                if finish > begin and finish > since:
                    found.append(Window(begin, finish))
            day += _DAY


def merged(windows: Iterable[Window]) -> list[Window]:
    """Overlapping or touching windows joined, in time order."""
    out: list[Window] = []
    for window in sorted(windows):
        if out and window.start <= out[-1].end:
            if window.end > out[-1].end:
                out[-1] = Window(out[-1].start, window.end)
        else:
            out.append(window)
    return out


def covered(windows: Iterable[Window], start: datetime, end: datetime) -> bool:
    """Whether the union of `windows` covers all of [start, end)."""
    reached = start
    for window in merged(windows):
        if window.start > reached:
            return False
        reached = max(reached, window.end)
        if reached >= end:
            return True
    return reached >= end


def gaps(windows: Iterable[Window], start: datetime, end: datetime) -> list[Window]:
    """The parts of [start, end) that no window covers."""
    out: list[Window] = []
    cursor = start
    for window in merged(windows):
        if window.end <= cursor:
            continue
        if window.start >= end:
            break
        if window.start > cursor:
            out.append(Window(cursor, window.start))
        cursor = max(cursor, window.end)
    if cursor < end:
        out.append(Window(cursor, end))
    return out
