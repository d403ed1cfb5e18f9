"""The 3.1 view of the core's events (those made by the admin API and scenarios).

Signals map to event payload types as CONTRACT.md fixes them: LOAD_DISPATCH delta →
DISPATCH_SETPOINT_RELATIVE, setpoint → DISPATCH_SETPOINT (kW, units KW), SIMPLE level → SIMPLE,
ELECTRICITY_PRICE price → PRICE (per kWh).
2.0b types 3.1 has no name for travel as private strings (Definition, "Private Strings"): priceRelative →
X_PRICE_RELATIVE, priceMultiplier → X_PRICE_MULTIPLIER, x-loadControlCapacity → X_LOAD_CONTROL_CAPACITY
(fraction 0–1, units PERCENT), the other x-loadControl* types likewise. Every event asks for the reports the
performance measurement needs: USAGE and BASELINE in kW, aggregated, after each interval.
"""

from __future__ import annotations

from ven.openadr3.models import (
    Event,
    EventPayloadDescriptor,
    Interval,
    IntervalPeriod,
    ObjectType,
    ReportDescriptor,
    ValuesMap,
)
from ven.openadr3.timing import format_duration
from vtn_mock.events import StoredEvent

# (signal, type) → (payload type, units)
PAYLOAD_TYPES: dict[tuple[str, str], tuple[str, str | None]] = {
    ("LOAD_DISPATCH", "delta"): ("DISPATCH_SETPOINT_RELATIVE", "KW"),
    ("LOAD_DISPATCH", "setpoint"): ("DISPATCH_SETPOINT", "KW"),
    ("SIMPLE", "level"): ("SIMPLE", None),
    ("ELECTRICITY_PRICE", "price"): ("PRICE", "KWH"),
    ("ELECTRICITY_PRICE", "priceRelative"): ("X_PRICE_RELATIVE", "KWH"),
    ("ELECTRICITY_PRICE", "priceMultiplier"): ("X_PRICE_MULTIPLIER", None),
    ("LOAD_CONTROL", "x-loadControlCapacity"): ("X_LOAD_CONTROL_CAPACITY", "PERCENT"),
    ("LOAD_CONTROL", "x-loadControlLevelOffset"): ("X_LOAD_CONTROL_LEVEL_OFFSET", None),
    ("LOAD_CONTROL", "x-loadControlPercentOffset"): ("X_LOAD_CONTROL_PERCENT_OFFSET", None),
    ("LOAD_CONTROL", "x-loadControlSetpoint"): ("X_LOAD_CONTROL_SETPOINT", None),
}
REQUESTED_REPORTS = ("USAGE", "BASELINE")


def payload_type(signal_name: str, signal_type: str) -> tuple[str, str | None]:
    return PAYLOAD_TYPES.get((signal_name, signal_type), (f"X_{signal_name}_{signal_type}".upper(), None))


def _value(event: StoredEvent, value: float) -> float | int:
    spec = event.spec
    if spec.signal_name == "SIMPLE":
        return int(value)
    return spec.value_kw(value)  # LOAD_DISPATCH in kW (units KW); others as given


def report_descriptors(interval_count: int) -> list[ReportDescriptor]:
    """USAGE and BASELINE (mean kW, all resources summed) reported after every interval; a VEN may add
    sub-intervals (User Guide 7.5, 'Report on a subset of intervals at a regular period')."""
    return [
        ReportDescriptor(
            payload_type=kind,
            reading_type="MEAN",
            units="KW",
            aggregate=True,
            start_interval=0,
            num_intervals=1,
            frequency=1,
            repeat=max(interval_count, 1),
            historical=True,
            report_intervals="SUB_INTERVALS",
        )
        for kind in REQUESTED_REPORTS
    ]


def wire_event_id(event_id: str) -> str:
    """Core event ids are objectIDs already (`evt-…`, `<scenario>-001`); anything else is made one."""
    safe = "".join(c if c.isalnum() or c in "_-" else "_" for c in event_id)
    return safe[:128] or "event"


def project_event(event: StoredEvent, program_id: str, targets: list[str]) -> Event:
    """The 3.1 event for a core event, with `targets` (the venNames this reader may see)."""
    spec = event.spec
    kind, units = payload_type(spec.signal_name, spec.signal_type)
    bounds = spec.interval_bounds()
    first = bounds[0]
    intervals = [
        Interval(
            id=index,
            interval_period=IntervalPeriod(start=begin, duration=format_duration(end - begin)),
            payloads=[ValuesMap(type=kind, values=[_value(event, interval.value)])],
        )
        for index, (begin, end, interval) in enumerate(bounds)
    ]
    randomize = format_duration(spec.startafter) if spec.startafter else None
    return Event(
        id=wire_event_id(event.event_id),
        created_date_time=event.created_at,
        modification_date_time=event.modified_at,
        object_type=ObjectType.EVENT,
        program_id=program_id,
        event_name=spec.vtn_comment or event.event_id,
        priority=spec.priority,
        targets=targets or None,
        report_descriptors=report_descriptors(len(bounds)),
        payload_descriptors=[EventPayloadDescriptor(payload_type=kind, units=units)],
        interval_period=IntervalPeriod(
            start=first[0], duration=format_duration(first[1] - first[0]), randomize_start=randomize
        ),
        intervals=intervals,
    )
