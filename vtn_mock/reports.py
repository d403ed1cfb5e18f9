"""openleadr's report dicts (oadrRegisterReport, oadrUpdateReport) converted to typed records, once, here."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from openleadr import objects

from vtn_mock.parsed import as_list
from vtn_mock.store import Reading, ReportDescription

FORECAST_REPORT = "x-FLEXIBILITY_FORECAST"
REQUESTED_REPORTS = ("TELEMETRY_USAGE", "TELEMETRY_STATUS", FORECAST_REPORT)
# siScaleCode → factor to kW for a power reading in W (openleadr's POWER_REAL accepts only unit W).
_SCALE_TO_KW = {"none": 0.001, "": 0.001, "k": 1.0, "M": 1000.0, "G": 1e6, "m": 1e-6}
_UNIT_TO_KW = {"W": 1.0, "kW": 1000.0, "MW": 1e6}


def power_kw(value: object, unit: str | None, scale: str | None) -> float | None:
    """A power reading in kW, or None when it is not a power reading in W (with its siScaleCode)."""
    if unit not in _UNIT_TO_KW or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    factor = _SCALE_TO_KW.get(scale or "none")
    if factor is None or not math.isfinite(value):
        return None
    return float(value) * factor * _UNIT_TO_KW[unit]


def descriptions(reports: list[dict[str, Any]]) -> list[ReportDescription]:
    """Every data point a VEN offered in oadrRegisterReport."""
    out = []
    for report in as_list(reports):
        name = str(report.get("report_name", "")).removeprefix("METADATA_")
        for rd in as_list(report.get("report_descriptions")):
            measurement = rd.get("measurement") or {}
            source = rd.get("report_data_source") or rd.get("report_subject") or {}
            out.append(
                ReportDescription(
                    report_specifier_id=str(report["report_specifier_id"]),
                    r_id=str(rd["r_id"]),
                    report_name=name,
                    report_type=rd.get("report_type"),
                    resource_id=_first(source.get("resource_id")),
                    unit=measurement.get("unit"),
                    scale=measurement.get("scale"),
                )
            )
    return out


def _first(value: Any) -> str | None:
    items = as_list(value)
    return str(items[0]) if items else None


def report_requests(
    reports: list[dict[str, Any]],
    sampling: timedelta,
    new_id: Callable[[], str],
    back_duration: timedelta | None = None,
    *,
    status_sampling: timedelta | None = None,
    forecast: bool = True,
    status: bool = True,
) -> list[tuple[str, objects.ReportRequest]]:
    """One oadrReportRequest (and its specifier id) per offered TELEMETRY_USAGE/STATUS report (and our
    VEN's flexibility forecast), all r_ids, at `sampling` within the offered range.

    The report-back duration (`back_duration`) defaults to the granularity: the stock openleadr VEN
    mis-schedules reports whose report interval is longer than their sampling interval (ours sends from its
    store, and copes). `status_sampling`: the granularity for TELEMETRY_STATUS (default `sampling`);
    `forecast` / `status`: whether the flexibility forecast / TELEMETRY_STATUS is asked for.
    """
    out = []
    for report in as_list(reports):
        name = str(report.get("report_name", "")).removeprefix("METADATA_")
        if name not in REQUESTED_REPORTS or (name == FORECAST_REPORT and not forecast):
            continue
        if name == "TELEMETRY_STATUS" and not status:
            continue
        rds = as_list(report.get("report_descriptions"))
        if not rds:
            continue
        is_status = name == "TELEMETRY_STATUS"
        granularity = _clamp(status_sampling if is_status and status_sampling else sampling, rds)
        payloads = [
            objects.SpecifierPayload(r_id=rd["r_id"], reading_type=rd.get("reading_type") or "Direct Read")
            for rd in rds
        ]
        specifier = objects.ReportSpecifier(
            report_specifier_id=report["report_specifier_id"],
            granularity=granularity,
            report_back_duration=max(back_duration or granularity, granularity),
            specifier_payloads=payloads,
        )
        request_id = new_id()
        out.append(
            (
                str(report["report_specifier_id"]),
                objects.ReportRequest(report_request_id=request_id, report_specifier=specifier),
            )
        )
    return out


def _clamp(sampling: timedelta, rds: list[dict[str, Any]]) -> timedelta:
    """The wanted sampling, within every description's offered [min_period, max_period]."""
    low = max(
        (rd.get("sampling_rate", {}).get("min_period") or timedelta() for rd in rds), default=timedelta()
    )
    highs = [rd.get("sampling_rate", {}).get("max_period") for rd in rds]
    high = min((h for h in highs if h), default=None)
    chosen = max(sampling, low)
    return min(chosen, high) if high is not None and high >= low else chosen


def readings(
    ven_id: str,
    report: dict[str, Any],
    lookup: Callable[[str], ReportDescription | None],
) -> tuple[list[Reading], int]:
    """The readings in one oadrReport, and how many referenced r_ids the VEN never described."""
    out, unknown = [], 0
    report_dtstart = report.get("dtstart")
    for interval in as_list(report.get("intervals")):
        for payload in as_list(interval.get("report_payload")):
            description = lookup(str(payload.get("r_id")))
            if description is None:
                unknown += 1
                continue
            measured_at = interval.get("dtstart") or report_dtstart
            if not isinstance(measured_at, datetime):
                unknown += 1
                continue
            value = payload.get("value", payload.get("payload_resource_status"))
            out.append(
                Reading(
                    ven_id=ven_id,
                    description=description,
                    measured_at=measured_at,
                    value=json.dumps(value, default=str),
                    power_kw=power_kw(value, description.unit, description.scale),
                )
            )
    return out, unknown
