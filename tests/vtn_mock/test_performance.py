"""Per-event performance as CONTRACT.md defines it, from readings in a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vtn_mock.events import EventSpec, Interval, StoredEvent
from vtn_mock.performance import event_performance
from vtn_mock.reports import power_kw
from vtn_mock.store import Reading, ReportDescription, Store

T0 = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    db = Store(tmp_path / "perf.sqlite")
    yield db
    db.close()


def event(
    signal: str = "LOAD_DISPATCH",
    kind: str = "delta",
    values: tuple[float, ...] = (-500, -300),
    ven_ids: tuple[str, ...] = ("v1",),
    unit: str | None = "kW",
) -> StoredEvent:
    spec = EventSpec(signal, kind, T0, tuple(Interval(QUARTER, v) for v in values), unit=unit)
    return StoredEvent("e1", 0, False, spec, ven_ids, T0, T0)


def add(
    store: Store,
    ven_id: str,
    report_type: str,
    points: list[tuple[timedelta, float]],
    *,
    resource: str = "fleet",
    unit: str = "W",
    scale: str = "k",
) -> None:
    description = ReportDescription(
        "spec", f"{resource}-{report_type}", "TELEMETRY_USAGE", report_type, resource, unit, scale
    )
    store.add_readings(
        [
            Reading(ven_id, description, T0 + offset, str(value), power_kw(value, unit, scale))
            for offset, value in points
        ],
        T0,
    )


def test_delta_with_reported_baseline(store):
    """A delta of −500 asks 500; delivered = reported baseline − reported usage, averaged per interval."""
    add(
        store,
        "v1",
        "usage",
        [(timedelta(minutes=m), kw) for m, kw in [(1, 600), (9, 400), (16, 800), (29, 800)]],
    )
    add(store, "v1", "baseline", [(timedelta(minutes=m), 1000.0) for m in (0, 10, 20)])
    result = event_performance(event(), store, {"v1": "fleet-a"})
    rows = [(i.requested_kw, i.baseline_kw, i.measured_kw, i.delivered_kw) for i in result.intervals]
    assert rows == [(500, 1000, 500, 500), (300, 1000, 800, 200)]
    assert (result.totals.requested_kw_avg, result.totals.delivered_kw_avg) == (400, 350)
    assert result.totals.delivered_ratio == pytest.approx(700 / 800)
    assert result.vens[0].ven_name == "fleet-a"


def test_baseline_falls_back_to_usage_just_before_the_event(store):
    """Without baseline readings, the last usage reading before the event start is the baseline."""
    add(
        store,
        "v1",
        "usage",
        [(-timedelta(minutes=30), 700.0), (-timedelta(minutes=1), 900.0), (timedelta(minutes=5), 450.0)],
    )
    result = event_performance(event(values=(-500,)), store, {})
    first = result.intervals[0]
    assert (first.baseline_kw, first.measured_kw, first.delivered_kw) == (900, 450, 450)
    assert result.totals.delivered_ratio == pytest.approx(0.9)


def test_watts_with_scale_codes_are_converted(store):
    """Readings in W with siScaleCode none or M count in kW like k-scaled ones."""
    add(store, "v1", "usage", [(timedelta(minutes=1), 400_000.0)], scale="none")
    add(store, "v1", "baseline", [(timedelta(minutes=1), 0.001)], scale="M")
    first = event_performance(event(values=(-500,)), store, {}).intervals[0]
    assert (first.baseline_kw, first.measured_kw) == (1.0, 400.0)


def test_setpoint_and_capacity_requests_follow_the_baseline(store):
    """A setpoint asks baseline − setpoint; x-loadControlCapacity asks baseline · (1 − fraction)."""
    add(store, "v1", "baseline", [(timedelta(minutes=1), 1000.0)])
    setpoint = event_performance(event(kind="setpoint", values=(200,)), store, {})
    capacity = event_performance(event("LOAD_CONTROL", "x-loadControlCapacity", (0.25,)), store, {})
    simple = event_performance(event("SIMPLE", "level", (2,)), store, {})
    assert setpoint.intervals[0].requested_kw == 800
    assert capacity.intervals[0].requested_kw == 750
    assert simple.intervals[0].requested_kw is None
    assert simple.totals.delivered_ratio is None


def test_fleet_resource_wins_and_several_vens_add_up(store):
    """Per VEN the `fleet` resource is used when reported; an event for two VENs sums them per interval."""
    add(store, "v1", "usage", [(timedelta(minutes=1), 100.0)])
    add(store, "v1", "usage", [(timedelta(minutes=1), 7.0)], resource="ev-1")
    add(store, "v1", "baseline", [(timedelta(minutes=1), 300.0)])
    add(store, "v2", "usage", [(timedelta(minutes=1), 50.0)], resource="site")
    add(store, "v2", "baseline", [(timedelta(minutes=1), 150.0)], resource="site")
    result = event_performance(event(values=(-150,), ven_ids=("v1", "v2")), store, {})
    combined = result.intervals[0]
    assert (combined.requested_kw, combined.measured_kw, combined.delivered_kw) == (300, 150, 300)
    assert [v.intervals[0].delivered_kw for v in result.vens] == [200, 100]


def test_intervals_without_readings_stay_empty(store):
    """An interval nobody reported in has no measured or delivered value and does not count in the ratio."""
    add(store, "v1", "usage", [(timedelta(minutes=1), 300.0)])
    add(store, "v1", "baseline", [(timedelta(minutes=1), 800.0)])
    result = event_performance(event(), store, {})
    assert result.intervals[1].measured_kw is None
    assert result.intervals[1].baseline_kw is None
    assert result.intervals[1].delivered_kw is None
    assert result.totals.delivered_ratio == pytest.approx(1.0)
