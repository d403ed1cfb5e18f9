"""A 3.1 report turned into the core's readings, so performance is measured by the one implementation
(`vtn_mock.performance`) whatever protocol the VEN speaks.

USAGE and DEMAND become `usage`, BASELINE `baseline`, DELTA_USAGE `deltaUsage` (2.0b's report types). Power
units KW/W/MW convert to kW; energy units KWH/WH over an interval become its mean kW. Without units the
payload descriptor of the report, then of the event's report descriptor, decide; without any, kW. A
resource named AGGREGATED_REPORT is the fleet aggregate (resource `fleet`). An interval's time is its own
intervalPeriod, else its resource's (contiguous intervals), else the event interval with the same id.
Several values in one payload are equal sub-intervals (User Guide 7.3, multi-valued payloads).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

from ven.openadr3.models import ReportRequest
from ven.openadr3.timing import Span, interval_spans
from vtn_mock.performance import FLEET_RESOURCE
from vtn_mock.store import Reading, ReportDescription

AGGREGATED = "AGGREGATED_REPORT"
REPORT_TYPES = {"USAGE": "usage", "DEMAND": "usage", "BASELINE": "baseline", "DELTA_USAGE": "deltaUsage"}
POWER_TYPES = frozenset({"usage", "baseline", "deltaUsage"})
_POWER_KW = {"KW": 1.0, "W": 0.001, "MW": 1000.0}
_ENERGY_KWH = {"KWH": 1.0, "WH": 0.001, "MWH": 1000.0}


def _kw(value: object, units: str, duration: timedelta) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    unit = units.upper()
    if unit in _POWER_KW:
        return float(value) * _POWER_KW[unit]
    hours = duration.total_seconds() / 3600
    if unit in _ENERGY_KWH and hours > 0:
        return float(value) * _ENERGY_KWH[unit] / hours
    return None


def readings(
    report: ReportRequest,
    report_id: str,
    ven_id: str,
    event_spans: dict[int, Span],
    requested_units: dict[str, str],
) -> list[Reading]:
    """Every numeric payload value of the report, as readings of `ven_id` (power ones with power_kw)."""
    declared = {d.payload_type: d.units for d in report.payload_descriptors or [] if d.units}
    out: list[Reading] = []
    for resource in report.resources:
        resource_id = FLEET_RESOURCE if resource.resource_name == AGGREGATED else resource.resource_name
        own = {s.interval_id: s for s in interval_spans(resource.interval_period, resource.intervals)}
        for interval in resource.intervals:
            span = own.get(interval.id) or event_spans.get(interval.id)
            if span is None:
                continue
            for payload in interval.payloads:
                kind = REPORT_TYPES.get(payload.type, payload.type)
                units = declared.get(payload.type) or requested_units.get(payload.type) or "KW"
                values = payload.values
                step = (span.end - span.start) / len(values) if values else timedelta()
                description = ReportDescription(
                    report_specifier_id=report_id,
                    r_id=f"{report_id}/{payload.type}",
                    report_name="OPENADR3_REPORT",
                    report_type=kind,
                    resource_id=resource_id,
                    unit=units,
                    scale=None,
                )
                for index, value in enumerate(values):
                    at: datetime = span.start + step * index
                    if isinstance(value, bool) or not isinstance(value, int | float | str):
                        continue
                    power = _kw(value, units, step) if kind in POWER_TYPES else None
                    out.append(Reading(ven_id, description, at, json.dumps(value), power))
    return out
