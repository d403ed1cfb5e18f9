"""The Reporter alone (no network): what is due when, paging, one-shot requests, the forecast."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ven.openadr.reporting import Reporter, parse_request
from ven.openadr.reports import ReportSources, catalog
from ven.storage import FLEET_RESOURCE, Store, TelemetrySample
from ven.telemetry.series import Point, Quantity, StatusLog, StatusSnapshot, UsageHistory

T0 = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
S = timedelta(seconds=1)


@pytest.fixture
def store() -> Iterator[Store]:
    with Store.open("sqlite:///:memory:") as opened:
        opened.telemetry.add(
            TelemetrySample(T0 + k * S + S / 2, FLEET_RESOURCE, float(k), 0.0, 0.0) for k in range(10)
        )
        yield opened


def request(
    request_id: str, specifier: str, r_ids: list[str], granularity: timedelta, back: timedelta, **extra: Any
) -> dict[str, Any]:
    return {
        "report_request_id": request_id,
        "report_specifier": {
            "report_specifier_id": specifier,
            "granularity": granularity,
            "report_back_duration": back,
            "specifier_payloads": [{"r_id": r} for r in r_ids],
            **extra,
        },
    }


def reporter(store: Store, **sources: Any) -> Reporter:
    reports = ReportSources(UsageHistory(store), sources.pop("status", StatusLog()), sampling=S, **sources)
    return Reporter(reports, catalog(reports), batch=4)


def test_history_is_paged_then_done(store: Store) -> None:
    """A 10-second window at 1 s in batches of 4: three messages (4, 4, 2), then nothing more."""
    engine = reporter(store)
    raw = request(
        "h",
        "HISTORY_USAGE",
        ["fleet.usage"],
        S,
        timedelta(0),
        report_interval={"dtstart": T0, "duration": 10 * S},
    )
    now = T0 + timedelta(minutes=5)
    engine.accept(parse_request(raw, engine.catalog), now)
    sizes = []
    while due := engine.due(now):
        [(request_id, data)] = due
        sizes.append(len(data.intervals))
        engine.sent(request_id, data, now, acknowledged=True)
    assert sizes == [4, 4, 2]


def test_unacknowledged_report_is_retried_with_the_same_intervals(store: Store) -> None:
    """A report the VTN did not acknowledge goes out again, from the same point."""
    engine = reporter(store)
    engine.accept(
        parse_request(request("u", "TELEMETRY_USAGE", ["fleet.usage"], S, 2 * S), engine.catalog), T0
    )
    [(_, first)] = engine.due(T0 + 2 * S)
    engine.sent("u", first, T0 + 2 * S, acknowledged=False)
    assert engine.due(T0 + 3 * S) == []  # not before the retry time
    [(_, again)] = engine.due(T0 + 12 * S)
    assert again.intervals[0].start == first.intervals[0].start == T0


def test_a_refusal_for_size_halves_the_message_and_skips_an_interval_too_large_alone(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """413 on 4 intervals: 2 per message from then on; 413 on one interval alone: it can never go out,
    so it is skipped with an error and the next one follows at once."""
    engine = reporter(store)
    engine.accept(
        parse_request(request("u", "TELEMETRY_USAGE", ["fleet.usage"], S, 2 * S), engine.catalog), T0
    )
    now = T0 + 10 * S
    [(_, first)] = engine.due(now)
    assert [i.start for i in first.intervals] == [T0 + k * S for k in range(4)]
    engine.sent("u", first, now, acknowledged=False, too_large=True)
    [(_, halved)] = engine.due(now)
    assert [i.start for i in halved.intervals] == [T0, T0 + S]
    engine.sent("u", halved, now, acknowledged=True)
    [(_, single)] = engine.due(now)
    assert [i.start for i in single.intervals] == [T0 + 2 * S, T0 + 3 * S]
    engine.sent("u", single, now, acknowledged=False, too_large=True)
    [(_, alone)] = engine.due(now)
    assert [i.start for i in alone.intervals] == [T0 + 2 * S]
    engine.sent("u", alone, now, acknowledged=False, too_large=True)
    assert "over the VTN's size limit on its own; skipped" in caplog.text
    [(_, after)] = engine.due(now)
    assert [i.start for i in after.intervals] == [T0 + 3 * S]


def test_zero_granularity_sends_the_latest_values_once(store: Store) -> None:
    """Granularity 0: one report with the latest value of each r_id, then nothing."""
    log = StatusLog()
    log.add(StatusSnapshot(T0 + 9 * S, {("fleet", Quantity.STORED_ENERGY): 40.0}))
    log.add(StatusSnapshot(T0 + 10 * S, {("fleet", Quantity.STORED_ENERGY): 41.0}))
    engine = reporter(store, status=log)
    engine.accept(
        parse_request(
            request("s", "TELEMETRY_STATUS", ["fleet.storedEnergy_kWh"], timedelta(0), timedelta(0)),
            engine.catalog,
        ),
        T0 + 10 * S,
    )
    [(_, data)] = engine.due(T0 + 10 * S)
    assert [(i.r_id, i.value) for i in data.intervals] == [("fleet.storedEnergy_kWh", 41.0)]
    engine.sent("s", data, T0 + 10 * S, acknowledged=True)
    assert engine.due(T0 + timedelta(hours=1)) == []


def test_forecast_goes_out_at_once_and_waits_for_its_source(store: Store) -> None:
    """The projection is due at once; with no forecast computed yet it is tried again soon, not after a
    whole reportBackDuration; each message carries every step."""
    points: list[Point] = []
    engine = reporter(store, forecast=lambda _now: points)
    raw = request(
        "f",
        "FLEXIBILITY_FORECAST",
        ["forecast.availableReduction_kW"],
        timedelta(minutes=15),
        timedelta(minutes=15),
    )
    engine.accept(parse_request(raw, engine.catalog), T0)
    assert engine.due(T0) == []
    points.extend(
        Point(
            T0 + k * timedelta(minutes=15), "fleet", Quantity.AVAILABLE_REDUCTION, 5.0, timedelta(minutes=15)
        )
        for k in range(96)
    )
    [(_, data)] = engine.due(T0 + timedelta(seconds=10))
    assert len(data.intervals) == 96
    assert data.report_name == "x-FLEXIBILITY_FORECAST"


def test_cancelled_request_sends_nothing(store: Store) -> None:
    """After cancel, nothing is due for that request."""
    engine = reporter(store)
    engine.accept(parse_request(request("u", "TELEMETRY_USAGE", ["fleet.usage"], S, S), engine.catalog), T0)
    assert engine.cancel("u")
    assert not engine.cancel("u")
    assert engine.due(T0 + timedelta(minutes=1)) == []


def test_the_status_log_keeps_the_last_day_whatever_the_sampling() -> None:
    """Sampled every 15 minutes for three days, the log holds the last day's 97 snapshots (a day and its
    first instant), not three days' worth; sampled every second, at most its 8,640."""
    quarter = timedelta(minutes=15)
    log = StatusLog()
    for k in range(3 * 96):
        log.add(StatusSnapshot(T0 + k * quarter, {("fleet", Quantity.STORED_ENERGY): float(k)}))
    key = ("fleet", Quantity.STORED_ENERGY)
    kept = log.points([key], T0, T0 + timedelta(days=4))
    last = 3 * 96 - 1
    assert [p.value for p in kept] == [float(k) for k in range(last - 96, last + 1)]
    fast = StatusLog()
    for k in range(9000):
        fast.add(StatusSnapshot(T0 + k * S, {key: float(k)}))
    assert len(fast.points([key], T0, T0 + timedelta(days=1))) == 8640
