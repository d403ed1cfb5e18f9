"""Recurring local-time windows and window arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ven.availability import RecurringWindow, Window, covered, gaps, merged

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 7, 13, tzinfo=NY)  # a Monday


def test_weekday_mornings_occur_on_their_days_only() -> None:
    """Mon-Fri 06:00-09:00 over a week: five windows, in local time."""
    routes = RecurringWindow(time(6), time(9), frozenset(range(5)))
    found = routes.occurrences(NY, MONDAY, MONDAY + timedelta(days=7))
    assert [w.start for w in found] == [MONDAY + timedelta(days=d, hours=6) for d in range(5)]
    assert {w.duration for w in found} == {timedelta(hours=3)}


def test_end_before_start_crosses_midnight() -> None:
    """A Saturday 22:00-02:00 window ends on Sunday; one still running at `since` is included."""
    night = RecurringWindow(time(22), time(2), frozenset({5}))
    saturday = MONDAY + timedelta(days=5)
    since = saturday + timedelta(days=1, hours=1)  # Sunday 01:00, inside it
    [window] = night.occurrences(NY, since, since + timedelta(days=1))
    assert (window.start, window.end) == (
        saturday + timedelta(hours=22),
        saturday + timedelta(days=1, hours=2),
    )


def test_end_equal_to_start_is_a_whole_day() -> None:
    """00:00-00:00 on Sundays lasts the whole day."""
    sundays = RecurringWindow(time(0), time(0), frozenset({6}))
    [window] = sundays.occurrences(NY, MONDAY, MONDAY + timedelta(days=7))
    assert window.duration == timedelta(days=1)


def test_local_times_follow_daylight_saving() -> None:
    """06:00 New York is 10:00 UTC in summer and 11:00 UTC in winter."""
    daily = RecurringWindow(time(6), time(9))
    summer = daily.occurrences(NY, MONDAY, MONDAY + timedelta(hours=12))[0]
    winter_day = datetime(2026, 12, 7, tzinfo=NY)
    winter = daily.occurrences(NY, winter_day, winter_day + timedelta(hours=12))[0]
    assert summer.start.astimezone(UTC).hour == 10
    assert winter.start.astimezone(UTC).hour == 11


def test_merged_covered_and_gaps() -> None:
    """Overlapping windows merge; coverage and the uncovered parts of a span are exact."""
    t = datetime(2026, 7, 1, tzinfo=UTC)
    h = timedelta(hours=1)
    windows = [Window(t + 2 * h, t + 3 * h), Window(t, t + h), Window(t + h / 2, t + 2 * h)]
    assert merged(windows) == [Window(t, t + 3 * h)]
    assert covered(windows, t + h, t + 3 * h)
    assert not covered(windows, t + h, t + 4 * h)
    assert gaps([Window(t + h, t + 2 * h)], t, t + 3 * h) == [Window(t, t + h), Window(t + 2 * h, t + 3 * h)]
    assert gaps([], t, t + h) == [Window(t, t + h)]


def test_window_must_be_aware_and_forward() -> None:
    """Naive or backwards windows are refused."""
    t = datetime(2026, 7, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="after"):
        Window(t, t)
    with pytest.raises(ValueError, match="aware"):
        Window(t.replace(tzinfo=None), t.replace(tzinfo=None) + timedelta(hours=1))
