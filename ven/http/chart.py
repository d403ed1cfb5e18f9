"""The dashboard's event chart: per interval requested, planned and delivered reduction, fleet net power and
the frozen baseline, from what the VEN stored (performance rows, dispatch decisions, telemetry) and its plan.

Requested: the performance row of an interval that ran, else the request as the current plan has it.
Planned: the latest dispatch decision of an interval that ran; the current plan for those still ahead.
Delivered, baseline, measured: the VEN's own per-interval averages (ven.telemetry.performance).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from ven.http.models import Chart, ChartInterval, ChartPoint
from ven.storage import FLEET_RESOURCE

if TYPE_CHECKING:
    from collections.abc import Callable

    from ven.dispatch.request import Remaining
    from ven.events.view import EventView
    from ven.model.fleet import FloatArray
    from ven.plan import Plan
    from ven.storage import Store

MAX_POINTS = 600  # telemetry samples drawn per chart; longer series are thinned evenly
PAD = 0.1  # share of the event's length shown before its start and after its end


class DispatchState(Protocol):
    """What the chart reads of the dispatch controller."""

    @property
    def executing(self) -> tuple[str, int] | None: ...

    @property
    def last_plan(self) -> Plan | None: ...

    @property
    def last_remaining(self) -> Remaining | None: ...


def build_chart(
    view: EventView,
    now: datetime,
    store: Store,
    dispatch: DispatchState,
    plan_reduction_kw: Callable[[Plan], FloatArray],
) -> Chart:
    """`plan_reduction_kw`: a plan's reduction per interval (the view remembers it per plan: at 10,000 EVs
    it is a sum over every EV and interval)."""
    event_id = view.event_id
    intervals = view.intervals()
    performance = {row.interval_index: row for row in store.performance.for_event(event_id)}
    planned = {d.interval_index: d.planned_kw for d in reversed(store.dispatch.recent(event_id=event_id))}
    requested: dict[int, float] = {}
    executing = dispatch.executing
    plan, remaining = dispatch.last_plan, dispatch.last_remaining
    if executing is not None and executing[0] == event_id and plan is not None and remaining is not None:
        first = remaining.first_index
        reductions = plan_reduction_kw(plan)
        for j, (asked, reduction) in enumerate(zip(remaining.requested_kw, reductions, strict=True)):
            requested[first + j] = float(asked)
            if j > 0 or first + j not in planned:  # ahead: the plan; now: the decision that went out
                planned[first + j] = float(reduction)
    rows = []
    current = None
    for interval in intervals:
        k = interval.index
        row = performance.get(k)
        if interval.start <= now and (interval.end is None or now < interval.end):
            current = k
        rows.append(
            ChartInterval(
                index=k,
                start=interval.start,
                end=interval.end,
                requested_kw=row.requested_kw if row is not None else requested.get(k),
                planned_kw=planned.get(k),
                delivered_kw=None if row is None else row.delivered_kw,
                baseline_kw=None if row is None else row.baseline_kw,
                measured_kw=None if row is None else row.measured_kw,
            )
        )
    return Chart(
        event_id=event_id,
        status=view.status(now).value,
        current_index=current,
        intervals=rows,
        series=_series(view, now, store),
    )


def _series(view: EventView, now: datetime, store: Store) -> list[ChartPoint]:
    intervals = view.intervals()
    if not intervals:
        return []
    start = intervals[0].start
    end = intervals[-1].end or now
    pad = max((end - start) * PAD, timedelta(seconds=1))
    until = min(now, end + pad) + timedelta(microseconds=1)
    samples = store.telemetry.between(start - pad, until, resource=FLEET_RESOURCE)
    step = max(1, -(-len(samples) // MAX_POINTS))
    thinned = samples[::step]
    if samples and thinned[-1] is not samples[-1]:
        thinned.append(samples[-1])  # always the latest sample
    return [ChartPoint(ts=s.ts, usage_kw=s.usage_kw, baseline_kw=s.baseline_kw) for s in thinned]
