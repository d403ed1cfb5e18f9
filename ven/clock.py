"""Injectable clocks: production reads the wall clock, tests move time by hand."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from ven.errors import InputError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Clock(Protocol):
    """Anything that can tell the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; for deterministic tests and simulation."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, when: datetime) -> None:
        self._now = when


class OffsetClock:
    """The wall clock moved by a fixed offset: it runs at wall speed from another instant."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


# The one seam for "what time is it" in the command-line tools (ven plan/run/demo, vtn-mock serve): set it
# to run them on another date. `2031-02-17` keeps the time of day and moves the date (every process started
# with it agrees on the time); `2031-02-17T03:00:00-05:00` starts the clock at that instant. For tests and
# demos: with a real VTN the VEN's clock must be the real one.
NOW_ENV = "V2X_VEN_NOW"


def cli_clock(environ: Mapping[str, str] | None = None) -> Clock:
    """The clock the command-line tools run on: the wall clock, or the one V2X_VEN_NOW asks for."""
    value = (os.environ if environ is None else environ).get(NOW_ENV, "").strip()
    if not value:
        return SystemClock()
    wall = datetime.now(UTC)
    try:
        if _DATE.match(value):
            day = date.fromisoformat(value)
            return OffsetClock(timedelta(days=(day - wall.date()).days))
        start = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise InputError(
            f"{NOW_ENV}={value!r}: use a date (2031-02-17) or an ISO 8601 time with a UTC offset"
        )
    return OffsetClock(start - wall)
