"""Routines: departures given as local times of day resolve on any date, in the EV's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ven.errors import FleetFileError
from ven.model.enrollment import load_fleet
from ven.model.routine import LATE_DEPARTURE_GRACE, Routine, parse_days

BOSTON = ZoneInfo("America/New_York")
HEADER = "ev_id,site,capacity_kwh,soc,max_charge_kw,departure"


def fleet_file(tmp_path: Path, header: str, *rows: str) -> Path:
    path = tmp_path / "fleet.csv"
    path.write_text("\n".join((header, *rows)) + "\n")
    return path


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 05:00 local on a Tuesday: today's 06:15.
        (datetime(2026, 12, 1, 10, 0, tzinfo=UTC), datetime(2026, 12, 1, 6, 15, tzinfo=BOSTON)),
        # 07:00 local on a Tuesday: tomorrow's.
        (datetime(2026, 12, 1, 12, 0, tzinfo=UTC), datetime(2026, 12, 2, 6, 15, tzinfo=BOSTON)),
        # Friday evening: weekdays only, so Monday's.
        (datetime(2026, 12, 4, 23, 0, tzinfo=UTC), datetime(2026, 12, 7, 6, 15, tzinfo=BOSTON)),
        # Summer (EDT, UTC-4): the same local time, a different UTC time.
        (datetime(2031, 7, 14, 20, 0, tzinfo=UTC), datetime(2031, 7, 15, 6, 15, tzinfo=BOSTON)),
    ],
)
def test_local_departure_resolves_to_the_next_occurrence(tmp_path, now, expected):
    """`06:15` on weekdays in America/New_York is the next such instant after the reference time."""
    path = fleet_file(
        tmp_path, f"{HEADER},timezone,days", "bus,depot,226,0.5,60,06:15,America/New_York,mon-fri"
    )
    ev = load_fleet(path, now=now).evs[0]
    assert ev.departure == expected
    assert ev.departure is not None
    assert ev.departure.tzinfo is UTC
    assert ev.routine is not None
    assert ev.routine.days == frozenset(range(5))


def test_default_time_zone_comes_from_the_loader(tmp_path):
    """Rows without a timezone use the zone the caller (ven.toml's [ven] timezone) gives."""
    path = fleet_file(tmp_path, HEADER, "car,home,75,0.5,11,07:30")
    now = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert load_fleet(path, now=now).evs[0].departure == datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    boston = load_fleet(path, now=now, timezone=BOSTON).evs[0]
    assert boston.departure == datetime(2026, 12, 1, 7, 30, tzinfo=BOSTON)


def test_offset_departure_is_relative_to_the_reference_time(tmp_path):
    """`+14h` means fourteen hours after the reference time, whatever the date."""
    path = fleet_file(tmp_path, HEADER, "car,home,75,0.5,11,+14h")
    now = datetime(2029, 3, 9, 18, 30, tzinfo=UTC)
    ev = load_fleet(path, now=now).evs[0]
    assert ev.departure == now + timedelta(hours=14)
    assert ev.routine is None


@pytest.mark.parametrize(
    ("extra_header", "cells", "column", "words"),
    [
        (",timezone", ",Mars/Olympus", "timezone", "IANA"),
        (",days", ",someday", "days", "days"),
        ("", "", "departure", "HH:MM"),
        (",plug_in", ",25:00", "plug_in", "HH:MM"),
    ],
)
def test_bad_routine_cells_are_refused_naming_the_column(tmp_path, extra_header, cells, column, words):
    """A bad zone, day list or time of day is refused with file, line and column."""
    departure = "07:61" if column == "departure" else "07:30"
    path = fleet_file(tmp_path, HEADER + extra_header, f"car,home,75,0.5,11,{departure}{cells}")
    with pytest.raises(FleetFileError) as caught:
        load_fleet(path)
    message = str(caught.value)
    assert f"line 2, column {column}" in message or f"line 2, column '{column}'" in message, message
    assert words in message


def test_plug_in_needs_a_recurring_departure(tmp_path):
    """plug_in without a local-time departure has no day to recur on: refused."""
    path = fleet_file(tmp_path, f"{HEADER},plug_in", "car,home,75,0.5,11,2026-12-01T07:00:00Z,18:00")
    with pytest.raises(FleetFileError, match="plug_in"):
        load_fleet(path)


def test_days_syntax():
    """Named sets, ranges (wrapping the week) and lists all parse."""
    assert parse_days("weekdays") == frozenset(range(5))
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert parse_days("mon, wed,fri") == frozenset({0, 2, 4})


def test_trips_come_back_at_plug_in_even_past_midnight():
    """A night shift leaving 22:00 and back at 06:00 returns the next morning."""
    routine = Routine(BOSTON, time(22, 0), plug_in=time(6, 0))
    start = datetime(2026, 12, 1, 12, 0, tzinfo=BOSTON)
    trips = routine.trips(start, start + timedelta(days=2))
    assert len(trips) == 2
    assert trips[0].leave == datetime(2026, 12, 1, 22, 0, tzinfo=BOSTON)
    assert trips[0].back == datetime(2026, 12, 2, 6, 0, tzinfo=BOSTON)


def test_a_late_driver_keeps_todays_departure_for_the_grace_period():
    """Still plugged in 30 min after 06:15: today's departure governs (never planned, charges as usual);
    after the grace period the EV is taken to stay until tomorrow."""
    routine = Routine(BOSTON, time(6, 15))
    today = datetime(2026, 12, 1, 6, 15, tzinfo=BOSTON)
    assert routine.current_departure(today + timedelta(minutes=30)) == today
    after_grace = today + LATE_DEPARTURE_GRACE + timedelta(minutes=1)
    assert routine.current_departure(after_grace) == today + timedelta(days=1)


@given(
    # hypothesis takes naive bounds and attaches the zone itself.
    now=st.datetimes(datetime(2020, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC)),  # noqa: DTZ001
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    days=st.frozensets(st.integers(0, 6), min_size=1),
)
def test_next_departure_is_the_first_matching_local_time_after_now(now, hour, minute, days):
    """Within 8 days after now, on an allowed weekday, at the local time (or just after a DST gap)."""
    routine = Routine(BOSTON, time(hour, minute), days)
    leave = routine.next_departure(now)
    assert now < leave <= now + timedelta(days=8)
    local = leave.astimezone(BOSTON)
    assert local.weekday() in days
    gap_shift = (local.hour * 60 + local.minute) - (hour * 60 + minute)
    assert gap_shift in (0, 60)  # 60: the local time fell in a spring-forward gap
    earlier = [d for d in routine.trips(now, leave) if d.leave < leave]
    assert earlier == []
