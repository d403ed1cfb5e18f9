"""The reports the VEN offers in oadrRegisterReport (CONTRACT.md, "Reports the VEN offers").

TELEMETRY_USAGE, report specifier `TELEMETRY_USAGE`: POWER_REAL in W with siScaleCode 'k' (so values are
kW), resource `fleet` with r_ids `fleet.usage`, `fleet.baseline`, `fleet.deltaUsage`, plus
`<ev_id>.usage` (resource `<ev_id>`) for every EV in `ev_usage_kw`.
TELEMETRY_STATUS, report specifier `TELEMETRY_STATUS`, resource `fleet`: `fleet.online` (1.0 / 0.0),
`fleet.availableReduction_kW`, `fleet.storedEnergy_kWh`. openleadr sends status items without an
itemBase, so their r_ids carry the unit.
Specifier ids and r_ids are fixed so they stay the same across restarts.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from openleadr import objects

from ven.openadr.workarounds import power_measurement, whole_seconds

ValueSource = Callable[[], float | Awaitable[float]]
"""A zero-argument sync or async callable returning the current value (kW, kWh, or 1/0 for online)."""

USAGE_REPORT = "TELEMETRY_USAGE"
STATUS_REPORT = "TELEMETRY_STATUS"
FLEET = "fleet"


@dataclass(frozen=True)
class ReportSources:
    """The runtime's live values behind each report item, and the sampling range the VEN offers."""

    usage_kw: ValueSource
    baseline_kw: ValueSource
    delta_usage_kw: ValueSource
    online: ValueSource
    available_reduction_kw: ValueSource
    stored_energy_kwh: ValueSource
    ev_usage_kw: Mapping[str, ValueSource] = field(default_factory=dict)
    min_sampling: timedelta = timedelta(seconds=10)
    max_sampling: timedelta = timedelta(hours=1)
    report_duration: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        for name in ("min_sampling", "max_sampling", "report_duration"):
            whole_seconds(getattr(self, name), name)
        if self.min_sampling > self.max_sampling:
            raise ValueError("min_sampling exceeds max_sampling")


@dataclass(frozen=True)
class ReportItem:
    report_name: str
    resource_id: str
    r_id: str
    report_type: str
    reading_type: str
    source: ValueSource
    power: bool


def report_items(sources: ReportSources) -> tuple[ReportItem, ...]:
    """Every item the VEN offers, in registration order."""
    usage = [
        ReportItem(USAGE_REPORT, FLEET, "fleet.usage", "usage", "Direct Read", sources.usage_kw, power=True),
        ReportItem(
            USAGE_REPORT, FLEET, "fleet.baseline", "baseline", "Projected", sources.baseline_kw, power=True
        ),
        ReportItem(
            USAGE_REPORT,
            FLEET,
            "fleet.deltaUsage",
            "deltaUsage",
            "Derived",
            sources.delta_usage_kw,
            power=True,
        ),
    ]
    usage += [
        ReportItem(USAGE_REPORT, ev_id, f"{ev_id}.usage", "usage", "Direct Read", source, power=True)
        for ev_id, source in sources.ev_usage_kw.items()
    ]
    status = [
        ReportItem(
            STATUS_REPORT,
            FLEET,
            "fleet.online",
            "x-resourceStatus",
            "x-notApplicable",
            sources.online,
            power=False,
        ),
        ReportItem(
            STATUS_REPORT,
            FLEET,
            "fleet.availableReduction_kW",
            "x-availableReduction",
            "Projected",
            sources.available_reduction_kw,
            power=False,
        ),
        ReportItem(
            STATUS_REPORT,
            FLEET,
            "fleet.storedEnergy_kWh",
            "storedEnergy",
            "Direct Read",
            sources.stored_energy_kwh,
            power=False,
        ),
    ]
    return (*usage, *status)


def offer_reports(client: Any, sources: ReportSources) -> tuple[ReportItem, ...]:
    """Add every report item to an openleadr client (before it registers its reports)."""
    sampling = objects.SamplingRate(
        min_period=sources.min_sampling, max_period=sources.max_sampling, on_change=False
    )
    items = report_items(sources)
    for item in items:
        client.add_report(
            callback=as_float_source(item.source),
            resource_id=item.resource_id,
            # A fresh Measurement per item, with scale= as well: see workarounds.power_measurement.
            measurement=power_measurement() if item.power else None,
            scale="k" if item.power else "none",
            report_specifier_id=item.report_name,
            r_id=item.r_id,
            report_name=item.report_name,
            report_type=item.report_type,
            reading_type=item.reading_type,
            report_duration=sources.report_duration,
            sampling_rate=sampling,
        )
    return items


def as_float_source(source: ValueSource) -> Callable[[], Awaitable[float]]:
    """openleadr renders the value as text: a bool would become 'True', invalid in payloadFloat."""

    async def read() -> float:
        value = source()
        if inspect.isawaitable(value):
            value = await value
        return float(value)

    return read


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """One live request of the VTN for a report the VEN offered (oadrCreateReport)."""

    report_request_id: str
    report_specifier_id: str
    r_ids: tuple[str, ...]
    granularity: timedelta | None
    report_back_duration: timedelta


ReportReading = tuple[datetime, str, float]
"""(timestamp, r_id, value): one stored sample of one report item, sent with its own timestamp."""


def update_report(request: ReportRequest, readings: Sequence[ReportReading]) -> Any:
    """An openleadr Report for oadrUpdateReport carrying `readings` (at least one)."""
    return objects.Report(
        report_request_id=request.report_request_id,
        report_specifier_id=request.report_specifier_id,
        report_name=request.report_specifier_id,
        intervals=[
            objects.ReportInterval(dtstart=ts, report_payload=objects.ReportPayload(r_id=r_id, value=value))
            for ts, r_id, value in readings
        ],
        dtstart=min(ts for ts, _, _ in readings),
    )
