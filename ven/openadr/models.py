"""Typed OpenADR 2.0b events, built once from openleadr's parsed dicts: nothing past the edge sees a dict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

from ven.errors import V2XError


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


class EventStatus(StrEnum):
    """eventStatus exactly as the VTN sent it; the runtime, not openleadr, tracks the live status."""

    NONE = "none"
    FAR = "far"
    NEAR = "near"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ResponseRequired(StrEnum):
    ALWAYS = "always"
    NEVER = "never"


class EventRejectedError(V2XError):
    """An event the VEN cannot take; `response_code` is what the eventResponse carries."""

    response_code: ResponseCode = ResponseCode.DEPLOYMENT_ERROR_OR_OTHER_ERROR

    def __init__(self, event_id: str | None, problem: str) -> None:
        self.event_id = event_id
        self.problem = problem
        super().__init__(f"event {event_id or '?'}: {problem}")


class MalformedEventError(EventRejectedError):
    """The event dict lacks a field or holds a value of the wrong type or range."""

    response_code = ResponseCode.INVALID_DATA


@dataclass(frozen=True, slots=True)
class Targets:
    ven_id: tuple[str, ...] = ()
    resource_id: tuple[str, ...] = ()
    group_id: tuple[str, ...] = ()
    party_id: tuple[str, ...] = ()


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


@dataclass(frozen=True, slots=True)
class ItemBase:
    """A signal's unit (itemBase): e.g. name 'powerReal', unit 'W', scale 'k' (siScaleCode)."""

    name: str
    unit: str | None
    scale: str | None = None

    @property
    def multiplier(self) -> float:
        """Factor from payload values to the bare unit (a 'k' scale turns 5 into 5000 W)."""
        return _SI_SCALE[self.scale or "none"]


@dataclass(frozen=True, slots=True)
class SignalInterval:
    uid: int
    duration: timedelta
    value: float


@dataclass(frozen=True, slots=True)
class EventSignal:
    name: str
    type: str
    signal_id: str
    intervals: tuple[SignalInterval, ...]
    item_base: ItemBase | None = None
    current_value: float | None = None


@dataclass(frozen=True, slots=True)
class OadrEvent:
    """One eiEvent of an oadrDistributeEvent. `startafter` is the VTN's randomisation window (tolerance);
    openleadr parses but never applies it, so the runtime draws the offset. Ramp-up, recovery and
    notification are durations around `dtstart`.
    """

    event_id: str
    modification_number: int
    priority: int
    market_context: str
    created: datetime | None
    dtstart: datetime
    duration: timedelta
    event_status: EventStatus
    test_event: bool
    response_required: ResponseRequired
    targets: Targets
    signals: tuple[EventSignal, ...]
    startafter: timedelta | None = None
    ramp_up: timedelta | None = None
    recovery: timedelta | None = None
    notification: timedelta | None = None
    vtn_comment: str | None = None

    @property
    def end(self) -> datetime:
        return self.dtstart + self.duration


@dataclass(frozen=True, slots=True)
class Distribution:
    """One oadrDistributeEvent as a whole. `event_ids` lists every event in it (also malformed ones), so
    the runtime can cancel any event that is no longer listed (implied cancellation; openleadr has none).
    """

    request_id: str
    vtn_id: str | None
    event_ids: tuple[str, ...]
    events: tuple[OadrEvent, ...] = field(default=())


def event_from_openleadr(raw: Mapping[str, Any]) -> OadrEvent:
    """An OadrEvent from one entry of openleadr's parsed `events` list; MalformedEventError if unusable."""
    descriptor = _mapping(raw, "event_descriptor", None)
    event_id = descriptor.get("event_id")
    if not isinstance(event_id, str | int) or event_id == "":
        raise MalformedEventError(None, "eventID missing")
    event_id = str(event_id)
    try:
        return _build(raw, descriptor, event_id)
    except (KeyError, TypeError, ValueError) as err:
        raise MalformedEventError(event_id, f"{type(err).__name__}: {err}") from None


def _build(raw: Mapping[str, Any], descriptor: Mapping[str, Any], event_id: str) -> OadrEvent:
    period = _mapping(raw, "active_period", event_id)
    tolerance = period.get("tolerance") or {}
    startafter = (tolerance.get("tolerate") or {}).get("startafter") if isinstance(tolerance, dict) else None
    signals = raw.get("event_signals")
    if isinstance(signals, dict):  # a single eiEventSignals wrapper, as openleadr sometimes nests it
        signals = signals.get("event_signals")
    if not isinstance(signals, list) or not signals:
        raise MalformedEventError(event_id, "no eiEventSignal")
    event = OadrEvent(
        event_id=event_id,
        modification_number=_int(descriptor["modification_number"]),
        priority=_int(descriptor.get("priority", 0)),
        market_context=str(descriptor.get("market_context", "")),
        created=_optional_datetime(descriptor.get("created_date_time"), event_id),
        dtstart=_datetime(period["dtstart"], event_id),
        duration=_timedelta(period["duration"], event_id),
        event_status=EventStatus(descriptor["event_status"]),
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
    measurement = raw.get("measurement")
    item_base = None
    if isinstance(measurement, dict):
        item_base = ItemBase(str(measurement.get("name")), measurement.get("unit"), measurement.get("scale"))
        if item_base.scale is not None and item_base.scale not in _SI_SCALE:
            raise MalformedEventError(event_id, f"unknown siScaleCode {item_base.scale!r}")
    current = raw.get("current_value")
    return EventSignal(
        name=str(raw["signal_name"]),
        type=str(raw["signal_type"]),
        signal_id=str(raw.get("signal_id", "")),
        intervals=tuple(_interval(i, k, event_id) for k, i in enumerate(intervals)),
        item_base=item_base,
        current_value=None if current is None else _float(current),
    )


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
