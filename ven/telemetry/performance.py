"""Realised performance per event interval: requested vs delivered reduction, export, departure SOCs.

Fed by every telemetry sample taken while an event runs; each sample updates (upserts) the interval's
row in store.performance, so the figures are current during the interval and final after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ven.storage import PerformanceRow

if TYPE_CHECKING:
    from ven.events.view import IntervalView
    from ven.storage import Store
    from ven.telemetry.sampler import FleetSample


@dataclass
class _Interval:
    samples: int = 0
    usage_sum_kw: float = 0.0
    baseline_sum_kw: float = 0.0
    exported_kwh: float = 0.0
    departure_socs: dict[str, float] = field(default_factory=dict)


class PerformanceTracker:
    def __init__(self, store: Store) -> None:
        self._store = store
        # the interval in progress only (samples fall in one interval at a time): bounded memory
        self._current: tuple[tuple[str, int], _Interval] | None = None
        self._previous: FleetSample | None = None

    def record(self, sample: FleetSample, interval: IntervalView | None, requested_kw: float | None) -> None:
        """Account one sample to the event interval it falls in (if any)."""
        previous, self._previous = self._previous, sample
        if interval is None:
            return
        event_id, k = interval.view.event_id, interval.index
        if self._current is None or self._current[0] != (event_id, k):
            self._current = ((event_id, k), _Interval())
        acc = self._current[1]
        acc.samples += 1
        acc.usage_sum_kw += sample.usage_kw
        acc.baseline_sum_kw += sample.baseline_kw
        if previous is not None and previous.reading is not None and sample.reading is not None:
            dt_h = max((sample.ts - previous.ts).total_seconds(), 0.0) / 3600.0
            acc.exported_kwh += previous.reading.discharging_kw * dt_h
            acc.departure_socs.update(_departed(previous, sample))
        usage = acc.usage_sum_kw / acc.samples
        baseline = acc.baseline_sum_kw / acc.samples
        self._store.performance.save(
            PerformanceRow(
                event_id=event_id,
                interval_index=k,
                start=interval.start,
                end=interval.end or sample.ts,
                requested_kw=0.0 if requested_kw is None else requested_kw,
                delivered_kw=baseline - usage,
                baseline_kw=baseline,
                measured_kw=usage,
                exported_kwh=acc.exported_kwh,
                departure_socs=acc.departure_socs,
            )
        )


def _departed(previous: FleetSample, sample: FleetSample) -> dict[str, float]:
    """SOC at departure of the EVs that were plugged in at the previous sample and are not now."""
    before, now = previous.reading, sample.reading
    if before is None or now is None or before.ev_ids != now.ev_ids:
        return {}
    left = np.flatnonzero(before.plugged_in & ~now.plugged_in)
    return {now.ev_ids[i]: float(now.soc[i]) for i in left if np.isfinite(now.soc[i])}
