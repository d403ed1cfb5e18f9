"""The reports the VEN offers in oadrRegisterReport (CONTRACT.md "Reports the VEN offers"; docs/eiopt.md).

- TELEMETRY_USAGE: `fleet.usage` (measured), `fleet.baseline`, `fleet.deltaUsage` (baseline − usage), kW,
  resource `fleet`; with `per_ev`, `<ev_id>.usage` (resource `<ev_id>`).
- TELEMETRY_STATUS: `fleet.status` and `<site>.status` (see status_r_id; oadrPayloadResourceStatus:
  online, manual override, oadrLoadControlState with the power range); `fleet.online` (1/0),
  `fleet.availableReduction_kW`, `fleet.availableCurtailment_kW`, `fleet.storedEnergy_kWh`.
- HISTORY_USAGE: the TELEMETRY_USAGE r_ids, from the store, for a past window on request.
- FLEXIBILITY_FORECAST (reportName x-FLEXIBILITY_FORECAST, readingType Projected, 15-minute steps):
  `forecast.availableReduction_kW`, `forecast.availableCurtailment_kW`, `forecast.energyAboveReserve_kWh`.

Power and energy items carry an itemBase (W / Wh with siScaleCode k: values are kW / kWh); status floats
carry none (openleadr sends TELEMETRY_STATUS without), so their r_ids name the unit. Specifier ids and
r_ids are fixed so they stay the same across restarts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ven.openadr.wire import ENERGY_KWH, POWER_KW, Description, ItemBase, Offer
from ven.telemetry.series import Key, Point, Quantity

USAGE_REPORT = "TELEMETRY_USAGE"
STATUS_REPORT = "TELEMETRY_STATUS"
HISTORY_REPORT = "HISTORY_USAGE"
FORECAST_REPORT = "FLEXIBILITY_FORECAST"
FORECAST_REPORT_NAME = "x-FLEXIBILITY_FORECAST"  # 2.0b names no forecast report: an x- name
FLEET = "fleet"
FORECAST_STEP = timedelta(minutes=15)
_PLAIN = re.compile(r"[A-Za-z0-9._:-]+")


class PointSource(Protocol):
    def points(self, keys: Collection[Key], since: datetime, until: datetime) -> list[Point]: ...


class UsageSource(PointSource, Protocol):
    def oldest_unreported(self) -> datetime | None: ...

    def mark_reported(self, until: datetime) -> int: ...


@dataclass(frozen=True)
class ReportSources:
    """Where the reported values come from, and what to offer (sites, per-EV usage, sampling)."""

    usage: UsageSource
    status: PointSource
    forecast: Callable[[datetime], Sequence[Point]] | None = None  # the projection from a time on
    sites: tuple[str, ...] = ()
    ev_ids: tuple[str, ...] = ()  # offer `<ev_id>.usage` for these
    sampling: timedelta = timedelta(seconds=10)  # the VEN samples this often: the finest granularity
    history: timedelta = timedelta(days=7)  # how far back HISTORY_USAGE reaches

    def __post_init__(self) -> None:
        if self.sampling.microseconds or self.sampling <= timedelta(0):
            raise ValueError(f"sampling must be a positive whole number of seconds, not {self.sampling}")


@dataclass(frozen=True, slots=True)
class Item:
    """One data point the VEN offers: where its values come from and how it is described."""

    specifier_id: str
    r_id: str
    key: Key
    description: Description


@dataclass(frozen=True)
class Catalog:
    """Every report offered, by specifier id, with its items by r_id."""

    offers: tuple[Offer, ...]
    items: dict[str, dict[str, Item]]

    def offer(self, specifier_id: str) -> Offer | None:
        return next((o for o in self.offers if o.specifier_id == specifier_id), None)


Row = tuple[str, Quantity, str, str, ItemBase | None]  # r_id, quantity, reportType, readingType, itemBase
Periods = tuple[timedelta, timedelta]

_USAGE: tuple[Row, ...] = (
    ("fleet.usage", Quantity.USAGE, "usage", "Direct Read", POWER_KW),
    ("fleet.baseline", Quantity.BASELINE, "baseline", "Projected", POWER_KW),
    ("fleet.deltaUsage", Quantity.DELTA_USAGE, "deltaUsage", "Derived", POWER_KW),
)
_STATUS_FLOATS: tuple[Row, ...] = (
    ("fleet.online", Quantity.ONLINE, "x-resourceStatus", "x-notApplicable", None),
    ("fleet.availableReduction_kW", Quantity.AVAILABLE_REDUCTION, "x-availableReduction", "Projected", None),
    (
        "fleet.availableCurtailment_kW",
        Quantity.AVAILABLE_CURTAILMENT,
        "x-availableCurtailment",
        "Projected",
        None,
    ),
    ("fleet.storedEnergy_kWh", Quantity.STORED_ENERGY, "storedEnergy", "Direct Read", None),
)
_FORECAST: tuple[Row, ...] = (
    (
        "forecast.availableReduction_kW",
        Quantity.AVAILABLE_REDUCTION,
        "x-availableReduction",
        "Projected",
        POWER_KW,
    ),
    (
        "forecast.availableCurtailment_kW",
        Quantity.AVAILABLE_CURTAILMENT,
        "x-availableCurtailment",
        "Projected",
        POWER_KW,
    ),
    (
        "forecast.energyAboveReserve_kWh",
        Quantity.ENERGY_ABOVE_RESERVE,
        "x-energyAboveReserve",
        "Projected",
        ENERGY_KWH,
    ),
)


def catalog(sources: ReportSources) -> Catalog:
    telemetry = (sources.sampling, max(sources.sampling, timedelta(hours=1)))
    history = (sources.sampling, max(sources.sampling, timedelta(days=1)))
    reports: list[tuple[str, str, timedelta, list[Item]]] = [
        (USAGE_REPORT, USAGE_REPORT, timedelta(hours=1), _usage_items(USAGE_REPORT, sources, telemetry)),
        (STATUS_REPORT, STATUS_REPORT, timedelta(hours=1), _status_items(sources, telemetry)),
        (HISTORY_REPORT, HISTORY_REPORT, sources.history, _usage_items(HISTORY_REPORT, sources, history)),
    ]
    if sources.forecast is not None:
        step = (FORECAST_STEP, FORECAST_STEP)
        forecast = [_item(FORECAST_REPORT, FLEET, row, step) for row in _FORECAST]
        reports.append((FORECAST_REPORT, FORECAST_REPORT_NAME, timedelta(hours=24), forecast))
    offers = tuple(
        Offer(specifier, name, duration, tuple(i.description for i in items))
        for specifier, name, duration, items in reports
    )
    return Catalog(offers, {specifier: {i.r_id: i for i in items} for specifier, _, _, items in reports})


def _item(specifier: str, resource: str, row: Row, periods: Periods) -> Item:
    r_id, quantity, report_type, reading_type, base = row
    description = Description(r_id, resource, report_type, reading_type, base, *periods)
    return Item(specifier, r_id, (resource, quantity), description)


def _usage_items(specifier: str, sources: ReportSources, periods: Periods) -> list[Item]:
    items = [_item(specifier, FLEET, row, periods) for row in _USAGE]
    _, _, report_type, reading_type, base = _USAGE[0]
    items += [
        _item(specifier, ev_id, (f"{ev_id}.usage", Quantity.USAGE, report_type, reading_type, base), periods)
        for ev_id in sources.ev_ids
    ]
    return items


def status_r_id(resource: str) -> str:
    """`<resource>.status`; a name with characters beyond [A-Za-z0-9._:-] gets a stable hashed r_id
    instead: peers echo r_ids back, and openleadr's VTN templates do not escape them."""
    if _PLAIN.fullmatch(resource):
        return f"{resource}.status"
    return f"site-{hashlib.sha256(resource.encode()).hexdigest()[:10]}.status"


def _status_items(sources: ReportSources, periods: Periods) -> list[Item]:
    items = [
        _item(
            STATUS_REPORT,
            resource,
            (status_r_id(resource), Quantity.STATUS, "x-resourceStatus", "x-notApplicable", None),
            periods,
        )
        for resource in (FLEET, *sources.sites)
    ]
    return items + [_item(STATUS_REPORT, FLEET, row, periods) for row in _STATUS_FLOATS]
