"""OpenADR 3.1 time conventions (User Guide 7.3–7.4): durations, 'now', 'infinity' and interval times.

Calendar units have no fixed length; a year counts 365 days and a month 30 (the User Guide advises against
months). "P9999Y" is infinity and "0001-01-01" is 'now' by convention; callers decide what those mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ven.openadr3.models import DURATION_PATTERN, Interval, IntervalPeriod

_DURATION = re.compile(DURATION_PATTERN)
INFINITY = "P9999Y"
BEGINNING_OF_TIME = datetime(1, 1, 1, tzinfo=UTC)


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration as the specification writes them; raises ValueError otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    sign, years, months, count, unit, hours, minutes, seconds = match.groups()
    days = int(years or 0) * 365 + int(months or 0) * 30
    if count is not None:
        days += int(count) * (7 if unit == "W" else 1)
    try:
        delta = timedelta(
            days=days, hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0)
        )
    except OverflowError:
        raise ValueError(f"duration out of range: {text!r}") from None
    return -delta if sign else delta


def format_duration(delta: timedelta) -> str:
    """A timedelta as an ISO 8601 duration (seconds, with a fraction only when there is one)."""
    total = delta.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    date = f"{int(days)}D" if days else ""
    clock = "".join(
        f"{int(v)}{u}" if u != "S" else f"{v:g}S"
        for v, u in ((hours, "H"), (minutes, "M"), (seconds, "S"))
        if v
    )
    if not date and not clock:
        return "PT0S"
    return f"{sign}P{date}" + (f"T{clock}" if clock else "")


@dataclass(frozen=True)
class Span:
    """An interval's absolute window."""

    interval_id: int
    start: datetime
    end: datetime


def interval_spans(default: IntervalPeriod | None, intervals: list[Interval]) -> list[Span]:
    """Each interval's window: its own intervalPeriod over the default one; a missing start follows the
    previous interval (User Guide 7.3, 7.4). Intervals whose window cannot be known are left out."""
    out: list[Span] = []
    previous_end: datetime | None = None
    for index, interval in enumerate(intervals):
        own = interval.interval_period or IntervalPeriod()
        if own.start is not None and own.start != BEGINNING_OF_TIME:
            start: datetime | None = own.start
        elif index == 0:
            start = default.start if default else None
        else:
            start = previous_end
        duration_text = own.duration or (default.duration if default else None)
        previous_end = None
        if start is None or duration_text is None:
            continue
        try:
            end = start + parse_duration(duration_text)
        except (ValueError, OverflowError):
            continue
        out.append(Span(interval.id, start, end))
        previous_end = end
    return out
