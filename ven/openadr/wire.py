"""OpenADR 2.0b messages openleadr 0.5.36 cannot render, built with lxml (so every value is escaped).

openleadr's templates insert values unescaped (a site named "R&D" would make the VEN emit malformed XML),
its oadrUpdateReport knows only payloadFloat (no oadrPayloadResourceStatus), it formats a zero duration
as "P", and it has no availability (vavailability) builder the VEN side could use with a persistent
optID. Here: oadrRegisterReport, oadrUpdateReport, oadrCreatedReport, oadrCreateOpt and oadrCancelOpt as
oadrSignedObject elements; `serialize` turns one into the text `MessageFactory`-style signing takes.
Every builder's output validates against the 2.0b schema (tests/openadr/test_wire.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from lxml.etree import _Element

OADR = "http://openadr.org/oadr-2.0b/2012/07"
EI = "http://docs.oasis-open.org/ns/energyinterop/201110"
PYLD = "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"
EMIX = "http://docs.oasis-open.org/ns/emix/2011/06"
POWER = "http://docs.oasis-open.org/ns/emix/2011/06/power"
SCALE = "http://docs.oasis-open.org/ns/emix/2011/06/siscale"
XCAL = "urn:ietf:params:xml:ns:icalendar-2.0"
STRM = "urn:ietf:params:xml:ns:icalendar-2.0:stream"
NSMAP = {
    "oadr": OADR,
    "ei": EI,
    "pyld": PYLD,
    "emix": EMIX,
    "power": POWER,
    "scale": SCALE,
    "xcal": XCAL,
    "strm": STRM,
}
SIGNED_OBJECT_ID = "oadrSignedObject"


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _sub(parent: _Element, ns: str, tag: str, text: str | None = None) -> _Element:
    child = etree.SubElement(parent, _q(ns, tag))
    if text is not None:
        child.text = text
    return child


def format_datetime(when: datetime) -> str:
    """UTC with a 'Z' (the only form openleadr parses; the 2.0b schema carries no offsets)."""
    if when.tzinfo is None:
        raise ValueError(f"refusing a naive datetime: {when!r}")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_duration(delta: timedelta) -> str:
    """RFC 5545 duration in whole seconds; zero is PT0S (openleadr writes a bare 'P')."""
    seconds = int(delta.total_seconds())
    if seconds < 0 or delta.microseconds:
        raise ValueError(f"durations on the wire are whole, non-negative seconds, not {delta}")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    if clock or not days:
        text += "T" + (clock or "0S")
    return text


def _signed_object(message: str) -> tuple[_Element, _Element]:
    root = etree.Element(_q(OADR, "oadrSignedObject"), nsmap=NSMAP)
    root.set(_q(OADR, "Id"), SIGNED_OBJECT_ID)
    body = _sub(root, OADR, message)
    body.set(_q(EI, "schemaVersion"), "2.0b")
    return root, body


def serialize(signed_object: _Element) -> str:
    return str(etree.tostring(signed_object, encoding="unicode"))


def _date_time(parent: _Element, tag: str, when: datetime) -> None:
    _sub(_sub(parent, XCAL, tag), XCAL, "date-time", format_datetime(when))


def _duration(parent: _Element, ns: str, tag: str, delta: timedelta) -> None:
    _sub(_sub(parent, ns, tag), XCAL, "duration", format_duration(delta))


# -- EiOpt ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OptMessage:
    """One oadrCreateOpt: an availability schedule (`components`) or one event (`event_id`)."""

    opt_id: str
    opt_type: str  # optIn / optOut
    opt_reason: str  # x-schedule, notParticipating, overrideStatus, ...
    ven_id: str
    request_id: str
    created: datetime
    components: Sequence[tuple[datetime, timedelta]] = ()
    event_id: str | None = None
    modification_number: int | None = None
    resource_ids: Sequence[str] = ()
    market_context: str | None = None


def create_opt(opt: OptMessage) -> _Element:
    root, body = _signed_object("oadrCreateOpt")
    _sub(body, EI, "optID", opt.opt_id)
    _sub(body, EI, "optType", opt.opt_type)
    _sub(body, EI, "optReason", opt.opt_reason)
    if opt.market_context:
        _sub(body, EMIX, "marketContext", opt.market_context)
    _sub(body, EI, "venID", opt.ven_id)
    if opt.components:
        components = _sub(_sub(body, XCAL, "vavailability"), XCAL, "components")
        for start, length in opt.components:
            properties = _sub(_sub(components, XCAL, "available"), XCAL, "properties")
            _date_time(properties, "dtstart", start)
            _duration(properties, XCAL, "duration", length)
    _sub(body, EI, "createdDateTime", format_datetime(opt.created))
    _sub(body, PYLD, "requestID", opt.request_id)
    if opt.event_id is not None:
        qualified = _sub(body, EI, "qualifiedEventID")
        _sub(qualified, EI, "eventID", opt.event_id)
        _sub(qualified, EI, "modificationNumber", str(opt.modification_number or 0))
    target = _sub(body, EI, "eiTarget")
    for resource in opt.resource_ids:
        _sub(target, EI, "resourceID", resource)
    if not opt.resource_ids:
        _sub(target, EI, "venID", opt.ven_id)
    return root


def cancel_opt(opt_id: str, ven_id: str, request_id: str) -> _Element:
    root, body = _signed_object("oadrCancelOpt")
    _sub(body, PYLD, "requestID", request_id)
    _sub(body, EI, "optID", opt_id)
    _sub(body, EI, "venID", ven_id)
    return root


# -- EiReport ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemBase:
    """An emix itemBase: power:powerReal (W) or power:energyReal (Wh), with an siScaleCode."""

    element: str  # "powerReal" or "energyReal"
    description: str  # "RealPower" / "RealEnergy"
    units: str  # "W" / "Wh"
    scale: str = "k"


POWER_KW = ItemBase("powerReal", "RealPower", "W")
ENERGY_KWH = ItemBase("energyReal", "RealEnergy", "Wh")


@dataclass(frozen=True, slots=True)
class Description:
    """One oadrReportDescription (a data point the VEN offers)."""

    r_id: str
    resource_id: str
    report_type: str
    reading_type: str
    item_base: ItemBase | None
    min_period: timedelta
    max_period: timedelta
    market_context: str | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """One METADATA report in oadrRegisterReport."""

    specifier_id: str
    report_name: str  # without METADATA_ (added here for the 2.0b names; x- names stay as they are)
    duration: timedelta
    descriptions: Sequence[Description]


def register_report(
    offers: Sequence[Offer], ven_id: str | None, request_id: str, created: datetime
) -> _Element:
    root, body = _signed_object("oadrRegisterReport")
    _sub(body, PYLD, "requestID", request_id)
    for offer in offers:
        report = _sub(body, OADR, "oadrReport")
        _duration(report, XCAL, "duration", offer.duration)
        for description in offer.descriptions:
            _description(report, description)
        _sub(report, EI, "reportRequestID", "0")
        _sub(report, EI, "reportSpecifierID", offer.specifier_id)
        name = offer.report_name if offer.report_name.startswith("x-") else f"METADATA_{offer.report_name}"
        _sub(report, EI, "reportName", name)
        _sub(report, EI, "createdDateTime", format_datetime(created))
    if ven_id is not None:
        _sub(body, EI, "venID", ven_id)
    return root


def _description(report: _Element, description: Description) -> None:
    element = _sub(report, OADR, "oadrReportDescription")
    _sub(element, EI, "rID", description.r_id)
    _sub(_sub(element, EI, "reportDataSource"), EI, "resourceID", description.resource_id)
    _sub(element, EI, "reportType", description.report_type)
    base = description.item_base
    if base is not None:
        item = _sub(element, POWER, base.element)
        _sub(item, POWER, "itemDescription", base.description)
        _sub(item, POWER, "itemUnits", base.units)
        _sub(item, SCALE, "siScaleCode", base.scale)
        if base.element == "powerReal":
            attributes = _sub(item, POWER, "powerAttributes")
            _sub(attributes, POWER, "hertz", "60")
            _sub(attributes, POWER, "voltage", "240")
            _sub(attributes, POWER, "ac", "true")
    _sub(element, EI, "readingType", description.reading_type)
    if description.market_context:
        _sub(element, EMIX, "marketContext", description.market_context)
    rate = _sub(element, OADR, "oadrSamplingRate")
    _sub(rate, OADR, "oadrMinPeriod", format_duration(description.min_period))
    _sub(rate, OADR, "oadrMaxPeriod", format_duration(description.max_period))
    _sub(rate, OADR, "oadrOnChange", "false")


@dataclass(frozen=True, slots=True)
class LoadControl:
    """oadrLoadControlStateTypeType: oadrMin, oadrMax, oadrCurrent, oadrNormal."""

    current: float
    minimum: float | None = None
    maximum: float | None = None
    normal: float | None = None


@dataclass(frozen=True, slots=True)
class Status:
    """oadrPayloadResourceStatus; `set_point` is the resource's power (kW) as oadrLoadControlState."""

    online: bool
    manual_override: bool
    set_point: LoadControl | None = None


@dataclass(frozen=True, slots=True)
class Interval:
    """One ei:interval of an oadrReport: a value (float) or a status for `r_id` from `start`."""

    start: datetime
    r_id: str
    value: float | Status
    duration: timedelta | None = None


@dataclass(frozen=True, slots=True)
class ReportData:
    """One oadrReport of an oadrUpdateReport."""

    report_request_id: str
    specifier_id: str
    report_name: str
    intervals: Sequence[Interval]
    created: datetime
    report_id: str


def update_report(reports: Sequence[ReportData], ven_id: str, request_id: str) -> _Element:
    root, body = _signed_object("oadrUpdateReport")
    _sub(body, PYLD, "requestID", request_id)
    for data in reports:
        report = _sub(body, OADR, "oadrReport")
        if data.intervals:
            _date_time(report, "dtstart", min(i.start for i in data.intervals))
            intervals = _sub(report, STRM, "intervals")
            for interval in data.intervals:
                _interval(intervals, interval)
        _sub(report, EI, "eiReportID", data.report_id)
        _sub(report, EI, "reportRequestID", data.report_request_id)
        _sub(report, EI, "reportSpecifierID", data.specifier_id)
        _sub(report, EI, "reportName", data.report_name)
        _sub(report, EI, "createdDateTime", format_datetime(data.created))
    _sub(body, EI, "venID", ven_id)
    return root


def _interval(parent: _Element, interval: Interval) -> None:
    element = _sub(parent, EI, "interval")
    _date_time(element, "dtstart", interval.start)
    if interval.duration is not None:
        _duration(element, XCAL, "duration", interval.duration)
    payload = _sub(element, OADR, "oadrReportPayload")
    _sub(payload, EI, "rID", interval.r_id)
    value = interval.value
    if isinstance(value, Status):
        status = _sub(payload, OADR, "oadrPayloadResourceStatus")
        _sub(status, OADR, "oadrOnline", "true" if value.online else "false")
        _sub(status, OADR, "oadrManualOverride", "true" if value.manual_override else "false")
        if value.set_point is not None:
            state = _sub(status, OADR, "oadrLoadControlState")
            _load_control(_sub(state, OADR, "oadrSetPoint"), value.set_point)
    else:
        _sub(_sub(payload, EI, "payloadFloat"), EI, "value", _number(value))


def _load_control(parent: _Element, state: LoadControl) -> None:
    if state.minimum is not None:
        _sub(parent, OADR, "oadrMin", _number(state.minimum))
    if state.maximum is not None:
        _sub(parent, OADR, "oadrMax", _number(state.maximum))
    _sub(parent, OADR, "oadrCurrent", _number(state.current))
    if state.normal is not None:
        _sub(parent, OADR, "oadrNormal", _number(state.normal))


def _number(value: float) -> str:
    """xs:float text; a non-finite reading is a bug upstream, never put on the wire."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"refusing a non-finite report value: {value!r}")
    return repr(round(number, 6))


def created_report(
    response_code: int, description: str, request_id: str | None, pending: Sequence[str], ven_id: str
) -> _Element:
    return _report_answer("oadrCreatedReport", response_code, description, request_id, pending, ven_id)


def canceled_report(
    response_code: int, description: str, request_id: str | None, pending: Sequence[str], ven_id: str
) -> _Element:
    return _report_answer("oadrCanceledReport", response_code, description, request_id, pending, ven_id)


def _report_answer(  # noqa: PLR0917 - the two public builders' arguments, in their order
    name: str,
    response_code: int,
    description: str,
    request_id: str | None,
    pending: Sequence[str],
    ven_id: str,
) -> _Element:
    """oadrCreatedReport and oadrCanceledReport: the same body (an answer and the reports still pending)."""
    root, body = _signed_object(name)
    response = _sub(body, EI, "eiResponse")
    _sub(response, EI, "responseCode", str(response_code))
    _sub(response, EI, "responseDescription", description)
    _sub(response, PYLD, "requestID", request_id or "")
    pending_reports = _sub(body, OADR, "oadrPendingReports")
    for report_request_id in pending:
        _sub(pending_reports, EI, "reportRequestID", report_request_id)
    _sub(body, EI, "venID", ven_id)
    return root
