"""The programme calendar: seeded draws that keep every programme rule."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ven.season.config import load_season
from vtn_mock.calendar import ProgrammeCalendar, draw, planned

SUMMER = {
    "first_day": "2026-06-01",
    "last_day": "2026-09-30",
    "timezone": "America/New_York",
    "holidays": ["2026-06-19", "2026-07-03", "2026-09-07"],
    "max_events": 60,
    "durations": {"3h": 0.8, "2h": 0.2},
    "requested_kw": [700, 1000],
    "month_weights": {6: 0.6, 7: 1.0, 8: 1.0, 9: 0.6},
    "seed": 2026,
}


def test_a_summer_keeps_the_programme_rules():
    """60 events on distinct non-holiday weekdays, 2-3 h within 14:00-19:00 local, a day's notice."""
    calendar = ProgrammeCalendar.model_validate(SUMMER)
    events = draw(calendar)
    assert len(events) == 60
    days = [e.start.date() for e in events]
    assert len(set(days)) == 60
    assert days == sorted(days)
    for event in events:
        local = event.start.astimezone(calendar.timezone)
        assert local.weekday() < 5
        assert local.date() not in calendar.holidays
        assert date(2026, 6, 1) <= local.date() <= date(2026, 9, 30)
        assert event.duration in (timedelta(hours=2), timedelta(hours=3))
        assert local.time() >= time(14)
        assert (event.end.astimezone(calendar.timezone)).time() <= time(19)
        assert local.minute == 0
        assert event.notify_at == event.start - timedelta(hours=24)
        assert 700 <= event.requested_kw <= 1000
        assert event.requested_kw % 10 == 0


def test_the_same_seed_draws_the_same_season():
    """A calendar is reproducible; another seed gives another season."""
    calendar = ProgrammeCalendar.model_validate(SUMMER)
    again = ProgrammeCalendar.model_validate(SUMMER)
    other = ProgrammeCalendar.model_validate({**SUMMER, "seed": 7})
    assert draw(calendar) == draw(again)
    assert draw(calendar) != draw(other)


def test_fewer_eligible_days_than_events_calls_every_one():
    """A season shorter than its event budget has an event on every eligible day, and no more."""
    calendar = ProgrammeCalendar.model_validate(
        {**SUMMER, "first_day": "2026-07-06", "last_day": "2026-07-12", "max_events": 60}
    )
    events = draw(calendar)
    assert [e.start.date().isoformat() for e in events] == [
        "2026-07-06",
        "2026-07-07",
        "2026-07-08",
        "2026-07-09",
        "2026-07-10",
    ]


def test_a_month_weighted_zero_gets_no_event():
    """Month weights bias the draw; a weight of 0 rules the month out."""
    calendar = ProgrammeCalendar.model_validate({**SUMMER, "month_weights": {6: 0, 9: 0}, "max_events": 30})
    months = {e.start.month for e in draw(calendar)}
    assert months <= {7, 8}
    assert len(draw(calendar)) == 30


def test_planned_events_are_load_dispatch_deltas_sent_a_day_ahead():
    """Each drawn event becomes a LOAD_DISPATCH delta of one value per interval, created at its notice."""
    calendar = ProgrammeCalendar.model_validate({**SUMMER, "max_events": 3})
    events = draw(calendar)
    entries = planned(events, calendar, "ven-a")
    assert len(entries) == 3
    for event, entry in zip(events, entries, strict=True):
        spec = entry.body.to_spec()
        assert entry.event_id == event.event_id
        assert entry.notify_at == event.start - timedelta(hours=24)
        assert spec.signal_name == "LOAD_DISPATCH"
        assert spec.signal_type == "delta"
        assert spec.end - spec.start == event.duration
        assert {i.value for i in spec.intervals} == {-event.requested_kw}
        assert entry.body.ven_selector() == ["ven-a"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"last_day": "2026-05-01"}, "last_day"),
        ({"window_start": "19:00", "window_end": "14:00"}, "window_end"),
        ({"durations": {"6h": 1.0}}, "window"),
        ({"durations": {"90m": 1.0}}, "intervals"),
        ({"requested_kw": [900, 100]}, "requested_kw"),
        ({"month_weights": {13: 1.0}}, "months"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
    ],
)
def test_inconsistent_calendars_are_refused(change: dict[str, object], field: str):
    """Rules that contradict each other are refused, naming what is wrong."""
    with pytest.raises((ValidationError, ValueError), match=field):
        ProgrammeCalendar.model_validate({**SUMMER, **change})


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    max_events=st.integers(0, 40),
    start_hour=st.integers(10, 16),
    window_h=st.integers(3, 6),
    three_hour_share=st.floats(0.01, 1.0),
)
def test_any_calendar_keeps_its_rules(
    seed: int, max_events: int, start_hour: int, window_h: int, three_hour_share: float
):
    """Whatever the seed and rules: at most max_events, one a day, every event inside the window."""
    calendar = ProgrammeCalendar.model_validate(
        {
            **SUMMER,
            "seed": seed,
            "max_events": max_events,
            "window_start": f"{start_hour}:00",
            "window_end": f"{start_hour + window_h}:00",
            "durations": {"3h": three_hour_share, "1h": 1.0 - three_hour_share + 0.01},
        }
    )
    events = draw(calendar)
    assert len(events) == min(max_events, len(calendar.eligible_days()))
    assert len({e.start.date() for e in events}) == len(events)
    for event in events:
        local = event.start.astimezone(calendar.timezone)
        assert local.hour >= start_hour
        assert (local + event.duration).hour + (local + event.duration).minute / 60 <= start_hour + window_h
        assert local.date() in calendar.eligible_days()


def test_the_examples_load_and_keep_the_programme_facts():
    """examples/massachusetts: the summer (60 events, $200/kW) and the winter (5 events, $50/kW)."""
    folder = Path(__file__).resolve().parents[2] / "examples" / "massachusetts"
    summer, ven = load_season(folder / "season.toml")
    winter, _ = load_season(folder / "winter.toml")
    assert (len(draw(summer.programme)), summer.payment.rate_usd_per_kw) == (60, 200.0)
    assert (len(draw(winter.programme)), winter.payment.rate_usd_per_kw) == (5, 50.0)
    assert ven.reports.sampling == timedelta(minutes=15)  # [ven_settings] over ven.toml
    for event in draw(summer.programme):
        assert date(2026, 6, 1) <= event.start.date() <= date(2026, 9, 30)
        assert event.duration <= timedelta(hours=3)
