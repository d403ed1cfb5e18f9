"""OpenADR 2.0b events into our own DrEvent (ven.events.model), once, from openleadr's parsed dicts: nothing
past the edge sees a dict or a 2.0b signal name.

| signalName        | signalType            | SignalKind        |
|-------------------|-----------------------|-------------------|
| LOAD_DISPATCH     | delta                 | LOAD_DELTA        |
| LOAD_DISPATCH     | setpoint              | LOAD_SETPOINT     |
| LOAD_CONTROL      | x-loadControlCapacity | CAPACITY_FRACTION |
| SIMPLE (simple)   | level                 | SIMPLE_LEVEL      |
| ELECTRICITY_PRICE | price                 | PRICE             |

Power payloads are kW unless the signal carries an itemBase, which must then be W with an siScaleCode;
anything else keeps kind None (the core answers 460, optOut).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

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


class ResponseCode(IntEnum):
    """OpenADR 2.0b response codes (Energy Interoperation 1.0; the values openleadr's STATUS_CODES holds)."""

    OK = 200
    OUT_OF_SEQUENCE = 450
    NOT_ALLOWED = 451
    INVALID_ID = 452
    NOT_RECOGNIZED = 453
    INVALID_DATA = 454
    COMPLIANCE_ERROR = 459
    SIGNAL_NOT_SUPPORTED = 460
    REPORT_NOT_SUPPORTED = 461
    TARGET_MISMATCH = 462
    NOT_REGISTERED_OR_AUTHORIZED = 463
    DEPLOYMENT_ERROR_OR_OTHER_ERROR = 469


_SI_SCALE = {
    "p": 1e-12,
    "n": 1e-9,
    "micro": 1e-6,
    "m": 1e-3,
    "c": 1e-2,
    "d": 1e-1,
    "none": 1.0,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
}


_SIGNAL_KINDS = {
    ("LOAD_DISPATCH", "delta"): SignalKind.LOAD_DELTA,
    ("LOAD_DISPATCH", "setpoint"): SignalKind.LOAD_SETPOINT,
    ("LOAD_CONTROL", "x-loadControlCapacity"): SignalKind.CAPACITY_FRACTION,
    ("SIMPLE", "level"): SignalKind.SIMPLE_LEVEL,
    ("ELECTRICITY_PRICE", "price"): SignalKind.PRICE,
}


def signal_kind(name: str, type_: str) -> SignalKind | None:
    """The core's kind for a 2.0b (signalName, signalType); the schema also spells SIMPLE in lower case."""
    return _SIGNAL_KINDS.get((name.upper() if name.lower() == "simple" else name, type_))


def event_from_openleadr(raw: Mapping[str, Any]) -> DrEvent:
    """An DrEvent from one entry of openleadr's parsed `events` list; MalformedEventError if unusable."""
    descriptor = _mapping(raw, "event_descriptor", None)
    event_id = descriptor.get("event_id")
    if not isinstance(event_id, str | int) or event_id == "":
        raise MalformedEventError(None, "eventID missing")
    event_id = str(event_id)
    try:
        return _build(raw, descriptor, event_id)
    except (KeyError, TypeError, ValueError) as err:
        raise MalformedEventError(event_id, f"{type(err).__name__}: {err}") from None


def _build(raw: Mapping[str, Any], descriptor: Mapping[str, Any], event_id: str) -> DrEvent:
    period = _mapping(raw, "active_period", event_id)
    tolerance = period.get("tolerance") or {}
    startafter = (tolerance.get("tolerate") or {}).get("startafter") if isinstance(tolerance, dict) else None
    signals = raw.get("event_signals")
    if isinstance(signals, dict):  # a single eiEventSignals wrapper, as openleadr sometimes nests it
        signals = signals.get("event_signals")
    if not isinstance(signals, list) or not signals:
        raise MalformedEventError(event_id, "no eiEventSignal")
    event = DrEvent(
        event_id=event_id,
        modification_number=_int(descriptor["modification_number"]),
        priority=_int(descriptor.get("priority", 0)),
        market_context=str(descriptor.get("market_context", "")),
        created=_optional_datetime(descriptor.get("created_date_time"), event_id),
        dtstart=_datetime(period["dtstart"], event_id),
        duration=_timedelta(period["duration"], event_id),
        event_status=VtnStatus(descriptor["event_status"]),
        test_event=bool(descriptor.get("test_event", False)),
        response_required=ResponseRequired(raw.get("response_required", "always")),
        targets=_targets(raw.get("targets") or []),
        signals=tuple(_signal(s, event_id) for s in signals),
        startafter=_optional_timedelta(startafter, event_id),
        ramp_up=_optional_timedelta(period.get("ramp_up"), event_id),
        recovery=_optional_timedelta(period.get("recovery"), event_id),
        notification=_optional_timedelta(period.get("notification"), event_id),
        vtn_comment=descriptor.get("vtn_comment"),
    )
    for signal in event.signals:  # rule 8: interval durations add up to the active period
        total = sum((i.duration for i in signal.intervals), timedelta())
        if event.duration and total != event.duration:
            problem = f"signal {signal.signal_id} lasts {total}, the event {event.duration}"
            raise MalformedEventError(event_id, problem)
    return event


def _signal(raw: Any, event_id: str) -> EventSignal:
    if not isinstance(raw, dict):
        raise MalformedEventError(event_id, "eiEventSignal is not a structure")
    intervals = raw.get("intervals")
    if not isinstance(intervals, list) or not intervals:
        raise MalformedEventError(event_id, f"signal {raw.get('signal_id')} has no intervals")
    name, type_ = str(raw["signal_name"]), str(raw["signal_type"])
    kind = signal_kind(name, type_)
    unit, kw_per_unit, problem = _unit(raw.get("measurement"), event_id)
    if kind is not None and kind.is_power and problem:
        kind = None
        problem = f"{name} {problem}"
    current = raw.get("current_value")
    return EventSignal(
        kind=kind,
        name=name,
        type=type_,
        signal_id=str(raw.get("signal_id", "")),
        intervals=tuple(_interval(i, k, event_id) for k, i in enumerate(intervals)),
        unit=unit,
        kw_per_unit=kw_per_unit,
        current_value=None if current is None else _float(current),
        problem="" if kind is not None else problem or f"signal {name}/{type_} not supported",
    )


def _unit(measurement: Any, event_id: str) -> tuple[str | None, float, str]:
    """(unit as shown, kW per payload unit, problem for a power signal) from an itemBase: kW without one."""
    if not isinstance(measurement, dict):
        return None, 1.0, ""
    unit, scale = measurement.get("unit"), measurement.get("scale")
    if scale is not None and scale not in _SI_SCALE:
        raise MalformedEventError(event_id, f"unknown siScaleCode {scale!r}")
    shown = None if unit is None else f"{'' if scale in (None, 'none') else scale}{unit}"
    if unit != "W":
        return shown, 1.0, f"in {unit!r}: only W is supported"
    return shown, _SI_SCALE[scale or "none"] / 1000.0, ""


def _interval(raw: Any, position: int, event_id: str) -> SignalInterval:
    if not isinstance(raw, dict):
        raise MalformedEventError(event_id, f"interval {position} is not a structure")
    return SignalInterval(
        uid=_int(raw.get("uid", position)),
        duration=_timedelta(raw["duration"], event_id),
        value=_float(raw["signal_payload"]),
    )


def _targets(raw: Sequence[Any]) -> Targets:
    found: dict[str, list[str]] = {"ven_id": [], "resource_id": [], "group_id": [], "party_id": []}
    for target in raw:
        if isinstance(target, dict):
            for key, value in target.items():
                if key in found and value is not None:
                    found[key].append(str(value))
    return Targets(**{key: tuple(values) for key, values in found.items()})


def _mapping(raw: Mapping[str, Any], key: str, event_id: str | None) -> Mapping[str, Any]:
    value = raw.get(key) if isinstance(raw, Mapping) else None
    if not isinstance(value, Mapping):
        raise MalformedEventError(event_id, f"{key} missing")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected an integer, got {value!r}")
    return int(value)


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _datetime(value: Any, event_id: str) -> datetime:
    # openleadr's 'Z'-only parser hands back a zone-less timestamp (valid in the 2.0b schema, which
    # allows no offsets) as a string: refused (454) rather than guessing its zone.
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise MalformedEventError(event_id, f"not a UTC timestamp: {value!r}")
    return value


def _optional_datetime(value: Any, event_id: str) -> datetime | None:
    return None if value is None else _datetime(value, event_id)


def _timedelta(value: Any, event_id: str) -> timedelta:
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise MalformedEventError(event_id, f"not a duration: {value!r}")
    return value


def _optional_timedelta(value: Any, event_id: str) -> timedelta | None:
    return None if value is None else _timedelta(value, event_id)
