"""A 3.1 event (with its program) converted once into our own DrEvent (docs/reference.md, "OpenADR 3.1").

| 3.1 payload type            | SignalKind        | note                                              |
|-----------------------------|-------------------|---------------------------------------------------|
| SIMPLE                      | SIMPLE_LEVEL      | level 0-3                                         |
| DISPATCH_SETPOINT           | LOAD_SETPOINT     | power, units from the eventPayloadDescriptor      |
| DISPATCH_SETPOINT_RELATIVE  | LOAD_DELTA        | power; negative = shed, as the 2.0b delta         |
| IMPORT_CAPACITY_LIMIT       | IMPORT_LIMIT      | power                                             |
| PRICE                       | PRICE             |                                                   |
| X_LOAD_CONTROL_CAPACITY     | CAPACITY_FRACTION | fraction 0-1 of the baseline (the mock's x- type) |
| anything else               | None + `problem`  | e.g. EXPORT_CAPACITY_LIMIT, CHARGE_STATE_SETPOINT |

Power units KW / W / MW set `kw_per_unit` (none given: kW). Each interval's window is its own
intervalPeriod over the event's (User Guide 7.3); several values in one payload are equal sub-intervals.
`priority` 0 (3.1's highest) is the core's 1 and so on; none is the core's 0 (the lowest).
3.1 has no event status (VtnStatus.NONE) and no modification number: it is the tenths of a second from
createdDateTime to modificationDateTime (monotonic across one event's modifications; an int32, as the
store keeps it, for 6.8 years after creation, then it stays at INT32_MAX; two modifications within a tenth
of a second count as one). `randomizeStart` becomes `startafter` (the runtime draws a
forward offset only; the User Guide allows either direction). 3.1 targets are plain strings granted by
the VTN: they travel as `Targets.group_id`, and the runtime's book knows this VEN's venName and resource
names as its groups (`own_targets`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from ven.events.model import (
    DrEvent,
    EventSignal,
    MalformedEventError,
    ResponseRequired,
    SignalInterval,
    SignalKind,
    Targets,
    VtnStatus,
)
from ven.openadr3.models import INT32_MAX, Event, EventPayloadDescriptor, Interval, IntervalPeriod, Program
from ven.openadr3.timing import BEGINNING_OF_TIME, INFINITY, parse_duration

KINDS: dict[str, SignalKind] = {
    "SIMPLE": SignalKind.SIMPLE_LEVEL,
    "DISPATCH_SETPOINT": SignalKind.LOAD_SETPOINT,
    "DISPATCH_SETPOINT_RELATIVE": SignalKind.LOAD_DELTA,
    "IMPORT_CAPACITY_LIMIT": SignalKind.IMPORT_LIMIT,
    "PRICE": SignalKind.PRICE,
    "X_LOAD_CONTROL_CAPACITY": SignalKind.CAPACITY_FRACTION,
}
KW_PER_UNIT = {"KW": 1.0, "W": 0.001, "MW": 1000.0}
NAME_MAX = 128  # openadr3.yaml: resourceName, venName, target
MODIFICATION_STEPS_PER_S = 10  # tenths of a second: int32 holds 6.8 years of modifications


@dataclass(frozen=True, slots=True)
class _Window:
    start: datetime
    duration: timedelta  # 0: open-ended (P9999Y)
    payloads: dict[str, tuple[float, ...]]


def own_targets(ven_name: str, sites: Iterable[str]) -> frozenset[str]:
    """The 3.1 target strings that address this VEN: its venName and its resources' names."""
    return frozenset({ven_name, *resource_names(sites)})


def resource_names(sites: Iterable[str]) -> tuple[str, ...]:
    """One 3.1 resource per site, named after it (a name over 128 characters, the most 3.1 allows, is cut
    and made unique with a hash of the whole)."""
    return tuple(dict.fromkeys(_name128(site) for site in sites))


def _name128(name: str) -> str:
    if len(name) <= NAME_MAX:
        return name
    return name[:100] + "#" + hashlib.sha256(name.encode()).hexdigest()[:16]


def modification_number(created: datetime, modified: datetime) -> int:
    """Tenths of a second from creation to this modification, within 0..INT32_MAX (a PostgreSQL INTEGER)."""
    steps = int((modified - created).total_seconds() * MODIFICATION_STEPS_PER_S)
    return max(0, min(INT32_MAX, steps))


def event_from_json(raw: Any, program: Program | None, *, now: datetime) -> DrEvent:
    """`event_from_openadr3` for one event as the VTN sent it (parsed JSON); MalformedEventError for one
    that is no 3.1 event, naming its id when it has one."""
    try:
        event = Event.model_validate(raw)
    except ValidationError as err:
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        first = err.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "event"
        event_id = raw_id if isinstance(raw_id, str) else None
        raise MalformedEventError(event_id, f"{where}: {first['msg']}") from None
    return event_from_openadr3(event, program, now=now)


def event_from_openadr3(event: Event, program: Program | None, *, now: datetime) -> DrEvent:
    """Our DrEvent for one 3.1 event; `now` stands for the 'now' start (0001-01-01). MalformedEventError
    for an event whose timing or values cannot be read."""
    try:
        return _convert(event, program, now)
    except MalformedEventError:
        raise
    except (ValueError, TypeError, OverflowError, ArithmeticError) as err:
        raise MalformedEventError(event.id, f"{type(err).__name__}: {err}") from None


def _convert(event: Event, program: Program | None, now: datetime) -> DrEvent:
    windows = _windows(event, now)
    if not windows:
        raise MalformedEventError(event.id, "no interval")
    dtstart = windows[0].start
    open_ended = any(not w.duration for w in windows)
    duration = timedelta(0) if open_ended else windows[-1].start + windows[-1].duration - dtstart
    randomize = (event.interval_period or IntervalPeriod()).randomize_start
    startafter = abs(parse_duration(randomize)) if randomize else None
    return DrEvent(
        event_id=event.id,
        modification_number=modification_number(event.created_date_time, event.modification_date_time),
        priority=_priority(event.priority),
        market_context=program.program_name if program is not None else event.program_id,
        created=event.created_date_time,
        dtstart=dtstart,
        duration=duration,
        event_status=VtnStatus.NONE,
        test_event=False,
        response_required=ResponseRequired.ALWAYS,
        targets=Targets(group_id=tuple(event.targets or ())),
        signals=_signals(event, windows),
        startafter=startafter or None,
        vtn_comment=event.event_name,
    )


def _priority(priority: int | None) -> int:
    """3.1: 0 is the highest, none the lowest; the core (as 2.0b): 1 is the highest, 0 none."""
    return 0 if priority is None else min(priority + 1, INT32_MAX)


def _windows(event: Event, now: datetime) -> list[_Window]:
    """Each interval's window and numeric payloads, contiguous from the first (gaps are refused)."""
    default = event.interval_period
    out: list[_Window] = []
    for index, interval in enumerate(event.intervals or []):
        own = interval.interval_period or IntervalPeriod()
        start = _start(own, default, index, out, now)
        text = own.duration or (default.duration if default else None)
        if text is None:
            raise MalformedEventError(event.id, f"interval {interval.id} has no duration")
        length = timedelta(0) if text == INFINITY else parse_duration(text)
        if length < timedelta(0):
            raise MalformedEventError(event.id, f"interval {interval.id} has a negative duration")
        if out and (not out[-1].duration or out[-1].start + out[-1].duration != start):
            raise MalformedEventError(event.id, f"interval {interval.id} does not follow the previous one")
        out.append(_Window(start, length, _payloads(event.id, interval)))
    return _cut(event, out)


def _start(
    own: IntervalPeriod, default: IntervalPeriod | None, index: int, before: list[_Window], now: datetime
) -> datetime:
    if own.start is not None and own.start != BEGINNING_OF_TIME:
        return own.start
    if index > 0:
        return before[-1].start + before[-1].duration  # follows the previous interval
    start = default.start if default else None
    if start is None or start == BEGINNING_OF_TIME:
        return now  # 'now' by convention (User Guide 7.4)
    return start


def _cut(event: Event, windows: list[_Window]) -> list[_Window]:
    """event.duration shortens the event (a longer one, which repeats the intervals, is taken once)."""
    if event.duration is None or event.duration == INFINITY or not windows:
        return windows
    end = windows[0].start + parse_duration(event.duration)
    kept = [w for w in windows if w.start < end]
    if not kept:
        raise MalformedEventError(event.id, "event.duration leaves no interval")
    last = kept[-1]
    if not last.duration or last.start + last.duration > end:
        kept[-1] = _Window(last.start, end - last.start, last.payloads)
    return kept


def _payloads(event_id: str, interval: Interval) -> dict[str, tuple[float, ...]]:
    out: dict[str, tuple[float, ...]] = {}
    for payload in interval.payloads:
        values = []
        for value in payload.values:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                continue  # not a (finite) number: its signal gets a problem below
            values.append(float(value))
        if payload.type in out:
            raise MalformedEventError(event_id, f"interval {interval.id} repeats payload {payload.type}")
        out[payload.type] = tuple(values) if len(values) == len(payload.values) else ()
    return out


def _signals(event: Event, windows: list[_Window]) -> tuple[EventSignal, ...]:
    descriptors = {d.payload_type: d for d in event.payload_descriptors or []}
    types = list(dict.fromkeys(t for w in windows for t in w.payloads))
    if not types:
        raise MalformedEventError(event.id, "no payload in any interval")
    return tuple(_signal(name, windows, descriptors.get(name)) for name in types)


def _signal(name: str, windows: list[_Window], descriptor: EventPayloadDescriptor | None) -> EventSignal:
    kind = KINDS.get(name)
    problem = "" if kind is not None else f"payload type {name} is not supported"
    units = descriptor.units if descriptor is not None else None
    kw_per_unit = 1.0
    if kind is not None and kind.is_power and units is not None:
        if units.upper() not in KW_PER_UNIT:
            kind, problem = None, f"{name} in {units}: only KW, W and MW are supported"
        else:
            kw_per_unit = KW_PER_UNIT[units.upper()]
    intervals: list[SignalInterval] = []
    for window in windows:
        values = window.payloads.get(name)
        if not values:
            missing = name not in window.payloads
            what = "is missing from an interval" if missing else "has a value that is not a number"
            kind, problem = None, problem or f"{name} {what}"
            values = (0.0,)
        step = window.duration / len(values)
        intervals.extend(SignalInterval(len(intervals), step, value) for value in values)
    return EventSignal(
        kind=kind,
        name=name,
        signal_id=name,
        intervals=tuple(intervals),
        type=name,
        unit=units,
        kw_per_unit=kw_per_unit,
        problem=problem,
    )
