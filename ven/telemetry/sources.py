"""ReportSources for VenClient: the live report values, read from the sampler's latest sample."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ven.openadr.reports import ReportSources

if TYPE_CHECKING:
    from collections.abc import Callable

    from ven.telemetry.sampler import FleetSample, TelemetrySampler


def report_sources(
    sampler: TelemetrySampler, ev_ids: tuple[str, ...], *, sampling: timedelta, per_ev: bool
) -> ReportSources:
    """Every value the VEN offers; 0 until the first sample is taken."""

    def read(field: Callable[[FleetSample], float]) -> Callable[[], float]:
        def value() -> float:
            latest = sampler.latest
            return 0.0 if latest is None else field(latest)

        return value

    def ev_usage(ev_id: str) -> Callable[[], float]:
        def value() -> float:
            latest = sampler.latest
            if latest is None or latest.reading is None:
                return 0.0
            return float(latest.reading.power_kw[latest.reading.index(ev_id)])

        return value

    return ReportSources(
        usage_kw=read(lambda s: s.usage_kw),
        baseline_kw=read(lambda s: s.baseline_kw),
        delta_usage_kw=read(lambda s: s.delta_kw),
        online=read(lambda s: 1.0 if s.online else 0.0),
        available_reduction_kw=read(lambda s: s.available_reduction_kw),
        stored_energy_kwh=read(lambda s: s.stored_energy_kwh),
        ev_usage_kw={ev_id: ev_usage(ev_id) for ev_id in ev_ids} if per_ev else {},
        min_sampling=min(sampling, timedelta(seconds=1)),
        max_sampling=max(sampling, timedelta(hours=1)),
    )
