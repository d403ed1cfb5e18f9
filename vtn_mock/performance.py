"""Per-event performance exactly as CONTRACT.md defines it.

Per interval and VEN: `measured_kw` is the average of the VEN's `usage` readings (POWER_REAL, in kW) that
fall in the interval (start ≤ t < end), `baseline_kw` the average of its `baseline` readings there, else its
last usage reading before the event, `delivered_kw = baseline_kw − measured_kw`. `requested_kw` is the
requested reduction: −value for a LOAD_DISPATCH delta, baseline − value for a setpoint, baseline · (1 − value)
for LOAD_CONTROL
x-loadControlCapacity, none for SIMPLE and prices. Readings of resource `fleet` are used when the VEN reports
one; otherwise each resource's average is summed. An event for several VENs sums them per interval.

Totals are duration-weighted: `requested_kw_avg` and `delivered_kw_avg` over the intervals that have a value;
`delivered_ratio` = Σ delivered·d / Σ requested·d over intervals that have both (none if that request is ≤ 0).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from vtn_mock.events import EventSpec, StoredEvent
from vtn_mock.store import Store

FLEET_RESOURCE = "fleet"
BASELINE_LOOKBACK = timedelta(hours=1)  # how far back "usage just before the event" may be
Rows = Sequence[tuple[str | None, datetime, float]]


@dataclass(frozen=True)
class IntervalPerformance:
    start: datetime
    end: datetime
    requested_kw: float | None
    baseline_kw: float | None
    measured_kw: float | None
    delivered_kw: float | None


@dataclass(frozen=True)
class Totals:
    requested_kw_avg: float | None
    delivered_kw_avg: float | None
    delivered_ratio: float | None


@dataclass(frozen=True)
class VenPerformance:
    ven_id: str
    ven_name: str | None
    intervals: tuple[IntervalPerformance, ...]
    totals: Totals


@dataclass(frozen=True)
class EventPerformance:
    event_id: str
    signal: str
    type: str
    intervals: tuple[IntervalPerformance, ...]
    totals: Totals
    vens: tuple[VenPerformance, ...]


def _fleet_rows(rows: Rows) -> Rows:
    fleet = [row for row in rows if row[0] == FLEET_RESOURCE]
    return fleet or rows


def interval_average(rows: Rows, begin: datetime, end: datetime) -> float | None:
    """Sum over resources of each resource's mean reading in [begin, end); None without readings."""
    per_resource: dict[str | None, list[float]] = defaultdict(list)
    for resource, at, kw in _fleet_rows(rows):
        if begin <= at < end:
            per_resource[resource].append(kw)
    if not per_resource:
        return None
    return sum(sum(values) / len(values) for values in per_resource.values())


def last_before(rows: Rows, when: datetime) -> float | None:
    """Sum over resources of each resource's last reading before `when`."""
    # rows are oldest first, so the dict keeps each resource's latest reading before `when`
    last = {resource: kw for resource, at, kw in _fleet_rows(rows) if at < when}
    return sum(last.values()) if last else None


def requested_kw(spec: EventSpec, value: float, baseline_kw: float | None) -> float | None:
    """The reduction the signal asks for, in kW (positive = less load)."""
    if spec.signal_name == "LOAD_DISPATCH" and spec.signal_type == "delta":
        return -spec.value_kw(value)
    if baseline_kw is None:
        return None
    if spec.signal_name == "LOAD_DISPATCH" and spec.signal_type == "setpoint":
        return baseline_kw - spec.value_kw(value)
    if spec.signal_name == "LOAD_CONTROL" and spec.signal_type == "x-loadControlCapacity":
        return baseline_kw * (1.0 - value)
    return None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def ven_intervals(spec: EventSpec, usage: Rows, baseline: Rows) -> tuple[IntervalPerformance, ...]:
    before = last_before(usage, spec.start)
    out = []
    for begin, end, interval in spec.interval_bounds():
        measured = interval_average(usage, begin, end)
        base = interval_average(baseline, begin, end)
        base = before if base is None else base
        delivered = None if base is None or measured is None else base - measured
        out.append(
            IntervalPerformance(
                begin,
                end,
                _round(requested_kw(spec, interval.value, base)),
                _round(base),
                _round(measured),
                _round(delivered),
            )
        )
    return tuple(out)


def totals(intervals: Sequence[IntervalPerformance]) -> Totals:
    def weighted(pairs: list[tuple[float, float]]) -> float | None:
        weight = sum(w for _, w in pairs)
        return _round(sum(v * w for v, w in pairs) / weight) if weight > 0 else None

    seconds = [(i.end - i.start).total_seconds() for i in intervals]
    requested = [
        (i.requested_kw, w) for i, w in zip(intervals, seconds, strict=True) if i.requested_kw is not None
    ]
    delivered = [
        (i.delivered_kw, w) for i, w in zip(intervals, seconds, strict=True) if i.delivered_kw is not None
    ]
    both = [
        (i.requested_kw, i.delivered_kw, w)
        for i, w in zip(intervals, seconds, strict=True)
        if i.requested_kw is not None and i.delivered_kw is not None
    ]
    asked = sum(r * w for r, _, w in both)
    ratio = _round(sum(d * w for _, d, w in both) / asked) if both and asked > 0 else None
    return Totals(weighted(requested), weighted(delivered), ratio)


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return _round(sum(present)) if present else None


def combine(spec: EventSpec, vens: Sequence[VenPerformance]) -> tuple[IntervalPerformance, ...]:
    """Per interval, the sum over VENs of each quantity they have."""
    out = []
    for index, (begin, end, _) in enumerate(spec.interval_bounds()):
        rows = [v.intervals[index] for v in vens]
        out.append(
            IntervalPerformance(
                begin,
                end,
                _sum([r.requested_kw for r in rows]),
                _sum([r.baseline_kw for r in rows]),
                _sum([r.measured_kw for r in rows]),
                _sum([r.delivered_kw for r in rows]),
            )
        )
    return tuple(out)


def event_performance(event: StoredEvent, store: Store, ven_names: dict[str, str]) -> EventPerformance:
    spec = event.spec
    vens = []
    for ven_id in event.ven_ids:
        usage = store.power_readings(ven_id, "usage", spec.start - BASELINE_LOOKBACK, spec.end)
        baseline = store.power_readings(ven_id, "baseline", spec.start, spec.end)
        intervals = ven_intervals(spec, usage, baseline)
        vens.append(VenPerformance(ven_id, ven_names.get(ven_id), intervals, totals(intervals)))
    combined = combine(spec, vens)
    return EventPerformance(
        event.event_id, spec.signal_name, spec.signal_type, combined, totals(combined), tuple(vens)
    )
