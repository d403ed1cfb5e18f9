"""The demo's dispatch quality (ven.metrics), from what the VTN measured and what the fleet really did."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ven.metrics import DispatchMetrics, Throughput, Tracking, dispatch_metrics

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ven.demo.departures import DepartureCheck
    from ven.demo.recorder import Frame
    from ven.demo.result import IntervalRow
    from ven.model.fleet import Fleet


def measure(
    intervals: Sequence[IntervalRow], frames: Sequence[Frame], fleet: Fleet, departures: DepartureCheck
) -> DispatchMetrics | None:
    """Tracking from the VTN's per-interval figures, discharge from the true SOC recorded over the event,
    satisfaction from the SOC each EV left with. None if the VTN measured no interval."""
    measured = [row for row in intervals if row.requested_kw is not None and row.delivered_kw is not None]
    if not measured:
        return None
    tracking = Tracking(
        np.array([row.requested_kw for row in measured], dtype=np.float64),
        np.array([row.delivered_kw for row in measured], dtype=np.float64),
        np.array([(row.end - row.start).total_seconds() / 3600.0 for row in measured]),
    )
    start, end = intervals[0].start, intervals[-1].end
    during = [frame.soc for frame in frames if start <= frame.ts <= end]
    stored = (np.stack(during, axis=1) if during else np.zeros((len(fleet), 0))) * fleet.capacity_kwh[:, None]
    throughput = Throughput.of_energy(
        stored, fleet.efficiency, fleet.capacity_kwh, fleet.max_discharge_kw > 0.0
    )
    return dispatch_metrics(tracking, throughput, np.asarray(departures.satisfaction, dtype=np.float64))
