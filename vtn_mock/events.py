"""DR events as the mock VTN keeps them, and their OpenADR 2.0b form (openleadr's oadrEvent dict)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ven.timeparse import parse_iso_datetime

# Signal → accepted types (first is the default). CONTRACT.md's signals; the others OpenADR allows for them.
SIGNAL_TYPES: dict[str, tuple[str, ...]] = {
    "LOAD_DISPATCH": ("delta", "setpoint"),
    "SIMPLE": ("level",),
    "LOAD_CONTROL": (
        "x-loadControlCapacity",
        "x-loadControlLevelOffset",
        "x-loadControlPercentOffset",
        "x-loadControlSetpoint",
    ),
    "ELECTRICITY_PRICE": ("price", "priceRelative", "priceMultiplier"),
}
# kW per unit of an interval value, for power signals; the itemBase sent is W with this siScaleCode.
UNIT_KW = {"kW": 1.0, "W": 0.001, "MW": 1000.0}
UNIT_SCALE = {"kW": "k", "W": "none", "MW": "M"}
# `pending`: a scenario event listed before it is sent (at its notification time); the rest are OpenADR's.
STATUSES = ("pending", "far", "near", "active", "completed", "cancelled")


@dataclass(frozen=True)
class Interval:
    duration: timedelta
    value: float


@dataclass(frozen=True)
class EventSpec:
    """What the operator asked for; everything the VEN will see except ids and status."""

    signal_name: str
    signal_type: str
    start: datetime
    intervals: tuple[Interval, ...]
    response_required: str = "always"
    test_event: bool = False
    startafter: timedelta | None = None
    ramp_up: timedelta | None = None
    recovery: timedelta | None = None
    notification: timedelta | None = None
    priority: int = 0
    targets: tuple[tuple[tuple[str, str], ...], ...] = ()  # each target: sorted (kind, value) pairs
    market_context: str = "oadr://v2x-mock/default"
    unit: str | None = "kW"  # power signals only; None = send no itemBase (values are kW)
    vtn_comment: str | None = None

    @property
    def end(self) -> datetime:
        return self.start + sum((i.duration for i in self.intervals), timedelta())

    def interval_bounds(self) -> list[tuple[datetime, datetime, Interval]]:
        """(start, end, interval) for each interval, back to back from the event start."""
        out = []
        begin = self.start
        for interval in self.intervals:
            out.append((begin, begin + interval.duration, interval))
            begin += interval.duration
        return out

    def value_kw(self, value: float) -> float:
        """An interval value in kW (power signals); other signals' values pass through."""
        if self.signal_name == "LOAD_DISPATCH":
            return value * UNIT_KW[self.unit or "kW"]
        return value


@dataclass(frozen=True)
class StoredEvent:
    event_id: str
    modification_number: int
    cancelled: bool
    spec: EventSpec
    ven_ids: tuple[str, ...]
    created_at: datetime
    modified_at: datetime
    source: str = "admin"
    notify_at: datetime | None = None  # set while a scenario event waits to be sent (status pending)

    def status(self, now: datetime) -> str:
        """OpenADR eventStatus at `now` (`pending` before a scheduled event is sent)."""
        if self.notify_at is not None:
            return "pending"
        if self.cancelled:
            return "cancelled"
        if now >= self.spec.end:
            return "completed"
        if now >= self.spec.start:
            return "active"
        if self.spec.ramp_up is not None and now >= self.spec.start - self.spec.ramp_up:
            return "near"
        return "far"

    def modified(self, spec: EventSpec, now: datetime) -> StoredEvent:
        return replace(self, spec=spec, modification_number=self.modification_number + 1, modified_at=now)

    def cancel(self, now: datetime) -> StoredEvent:
        return replace(
            self, cancelled=True, modification_number=self.modification_number + 1, modified_at=now
        )


def to_oadr(event: StoredEvent, ven_id: str, now: datetime) -> dict[str, Any]:
    """The oadrEvent dict openleadr's templates render (one signal; targets default to the VEN)."""
    spec = event.spec
    intervals = [
        {"dtstart": begin, "duration": end - begin, "signal_payload": interval.value, "uid": index}
        for index, (begin, end, interval) in enumerate(spec.interval_bounds())
    ]
    signal: dict[str, Any] = {
        "intervals": intervals,
        "signal_name": spec.signal_name,
        "signal_type": spec.signal_type,
        "signal_id": f"{event.event_id}-0",
    }
    if spec.signal_name == "LOAD_DISPATCH" and spec.unit is not None:
        signal["measurement"] = {
            "name": "powerReal",
            "description": "RealPower",
            "unit": "W",
            "scale": UNIT_SCALE[spec.unit],
            "power_attributes": {"hertz": 50, "voltage": 230, "ac": True},
        }
    active_period: dict[str, Any] = {
        "dtstart": spec.start,
        "duration": spec.end - spec.start,
        "ramp_up_period": spec.ramp_up,
        "recovery_period": spec.recovery,
        "notification_period": spec.notification,
    }
    if spec.startafter is not None:
        active_period["tolerance"] = {"startafter": spec.startafter}
    targets = [dict(target) for target in spec.targets] or [{"ven_id": ven_id}]
    return {
        "event_descriptor": {
            "event_id": event.event_id,
            "modification_number": event.modification_number,
            "modification_date_time": event.modified_at,
            "market_context": spec.market_context,
            "event_status": event.status(now),
            "created_date_time": event.created_at,
            "priority": spec.priority,
            "test_event": spec.test_event,
            "vtn_comment": spec.vtn_comment,
        },
        "active_period": active_period,
        "event_signals": [signal],
        "targets": targets,
        "response_required": spec.response_required,
    }


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


def _delta(seconds: float | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def spec_to_json(spec: EventSpec) -> str:
    return json.dumps(
        {
            "signal_name": spec.signal_name,
            "signal_type": spec.signal_type,
            "start": spec.start.isoformat(),
            "intervals": [[i.duration.total_seconds(), i.value] for i in spec.intervals],
            "response_required": spec.response_required,
            "test_event": spec.test_event,
            "startafter": _seconds(spec.startafter),
            "ramp_up": _seconds(spec.ramp_up),
            "recovery": _seconds(spec.recovery),
            "notification": _seconds(spec.notification),
            "priority": spec.priority,
            "targets": [list(map(list, t)) for t in spec.targets],
            "market_context": spec.market_context,
            "unit": spec.unit,
            "vtn_comment": spec.vtn_comment,
        }
    )


def spec_from_json(text: str) -> EventSpec:
    raw = json.loads(text)
    return EventSpec(
        signal_name=raw["signal_name"],
        signal_type=raw["signal_type"],
        start=parse_iso_datetime(raw["start"]),
        intervals=tuple(Interval(timedelta(seconds=d), v) for d, v in raw["intervals"]),
        response_required=raw["response_required"],
        test_event=raw["test_event"],
        startafter=_delta(raw["startafter"]),
        ramp_up=_delta(raw["ramp_up"]),
        recovery=_delta(raw["recovery"]),
        notification=_delta(raw["notification"]),
        priority=raw["priority"],
        targets=tuple(tuple((k, v) for k, v in t) for t in raw["targets"]),
        market_context=raw["market_context"],
        unit=raw["unit"],
        vtn_comment=raw["vtn_comment"],
    )
