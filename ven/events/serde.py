"""DrEvent <-> JSON-compatible dicts, and EventView <-> the storage's EventRecord.

The JSON is what `EventRecord.payload` holds: datetimes as ISO 8601 strings with offset, durations
as seconds (float, so fractional seconds survive), enums as their values; these converters are the only
place that knows the layout. Rows stored before the core had its own signal kinds (round 1, 2.0b only)
are read through `_LEGACY_KINDS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ven.events.answers import Answer, AnswerSource, Opt
from ven.events.model import (
    DrEvent,
    EventSignal,
    ResponseRequired,
    SignalInterval,
    SignalKind,
    Targets,
    VtnStatus,
)
from ven.events.model import EventStatus as LiveStatus
from ven.events.view import EventView
from ven.storage.records import EventRecord, OptAnswer

# EventRecord.end must be a datetime; an open-ended event (duration 0, rule 47) is stored with this.
OPEN_END = datetime(9999, 12, 31, tzinfo=UTC)


def to_json(event: DrEvent) -> dict[str, Any]:
    """The event as a JSON-compatible dict (the inverse of `from_json`)."""
    return {
        "event_id": event.event_id,
        "modification_number": event.modification_number,
        "priority": event.priority,
        "market_context": event.market_context,
        "created": _time_text(event.created),
        "dtstart": event.dtstart.isoformat(),
        "duration": event.duration.total_seconds(),
        "event_status": event.event_status.value,
        "test_event": event.test_event,
        "response_required": event.response_required.value,
        "targets": {name: list(getattr(event.targets, name)) for name in _TARGET_FIELDS},
        "signals": [_signal_json(s) for s in event.signals],
        "startafter": _seconds(event.startafter),
        "ramp_up": _seconds(event.ramp_up),
        "recovery": _seconds(event.recovery),
        "notification": _seconds(event.notification),
        "vtn_comment": event.vtn_comment,
    }


def from_json(data: Mapping[str, Any]) -> DrEvent:
    """An DrEvent from `to_json` output (KeyError/ValueError/TypeError if it is not one)."""
    targets = data.get("targets") or {}
    return DrEvent(
        event_id=str(data["event_id"]),
        modification_number=int(data["modification_number"]),
        priority=int(data["priority"]),
        market_context=str(data["market_context"]),
        created=_time(data.get("created")),
        dtstart=_aware(data["dtstart"]),
        duration=timedelta(seconds=float(data["duration"])),
        event_status=VtnStatus(data["event_status"]),
        test_event=bool(data["test_event"]),
        response_required=ResponseRequired(data["response_required"]),
        targets=Targets(**{name: tuple(str(v) for v in targets.get(name, ())) for name in _TARGET_FIELDS}),
        signals=tuple(_signal(s) for s in data["signals"]),
        startafter=_delta(data.get("startafter")),
        ramp_up=_delta(data.get("ramp_up")),
        recovery=_delta(data.get("recovery")),
        notification=_delta(data.get("notification")),
        vtn_comment=data.get("vtn_comment"),
    )


def to_record(view: EventView, status: LiveStatus) -> EventRecord:
    """The row to save for `view` (its effective start/end, offset and answer) with live `status`."""
    return EventRecord(
        event_id=view.event_id,
        modification_number=view.modification_number,
        payload=to_json(view.event),
        status=status,
        start=view.start,
        end=OPEN_END if view.end is None else view.end,
        randomised_offset_s=view.offset_s,
        test_event=view.event.test_event,
        priority=view.event.priority,
        opt=None if view.answer is None else OptAnswer(view.answer.opt.value),
        opt_reason=None if view.answer is None else view.answer.reason,
        opt_source=None if view.answer is None else view.answer.source.value,
    )


def view_from_record(record: EventRecord) -> EventView:
    """The EventView a record was saved from (targeted: the book re-checks targets): the cancellation
    time is its stored end when that is earlier than the event's own (randomised) end, or when the
    VTN's last word was "cancelled"."""
    event = from_json(record.payload)
    view = EventView(event, record.randomised_offset_s, answer=_answer(record))
    end = None if record.end >= OPEN_END else record.end
    nominal = view.nominal_end
    cut_short = end is not None and (nominal is None or end < nominal)
    if cut_short or (event.event_status is VtnStatus.CANCELLED and end is not None):
        return EventView(view.event, view.offset_s, cancel_at=end, answer=view.answer)
    return view


def _answer(record: EventRecord) -> Answer | None:
    if record.opt is None:
        return None
    # Rows from before answers said what decided them were all the plan's (or a cancellation's) answers.
    source = AnswerSource(record.opt_source) if record.opt_source else AnswerSource.POLICY
    return Answer(Opt(record.opt.value), record.opt_reason or "", source)


_TARGET_FIELDS = ("ven_id", "resource_id", "group_id", "party_id")


def _signal_json(signal: EventSignal) -> dict[str, Any]:
    return {
        "kind": None if signal.kind is None else signal.kind.value,
        "name": signal.name,
        "type": signal.type,
        "signal_id": signal.signal_id,
        "intervals": [
            {"uid": i.uid, "duration": i.duration.total_seconds(), "value": i.value} for i in signal.intervals
        ],
        "unit": signal.unit,
        "kw_per_unit": signal.kw_per_unit,
        "current_value": signal.current_value,
        "problem": signal.problem,
    }


def _signal(data: Mapping[str, Any]) -> EventSignal:
    current = data.get("current_value")
    name, type_ = str(data["name"]), str(data.get("type", ""))
    if "kind" in data:
        kind = None if data["kind"] is None else SignalKind(data["kind"])
        unit, kw_per_unit = data.get("unit"), float(data["kw_per_unit"])
        problem = str(data.get("problem", ""))
    else:
        kind, unit, kw_per_unit, problem = _legacy(name, type_, data.get("item_base"))
    return EventSignal(
        kind=kind,
        name=name,
        type=type_,
        signal_id=str(data["signal_id"]),
        intervals=tuple(
            SignalInterval(int(i["uid"]), timedelta(seconds=float(i["duration"])), float(i["value"]))
            for i in data["intervals"]
        ),
        unit=unit,
        kw_per_unit=kw_per_unit,
        current_value=None if current is None else float(current),
        problem=problem,
    )


# Round 1 stored 2.0b signal names and itemBases; only what it could dispatch was ever stored dispatchable.
_LEGACY_KINDS = {
    ("LOAD_DISPATCH", "delta"): SignalKind.LOAD_DELTA,
    ("LOAD_DISPATCH", "setpoint"): SignalKind.LOAD_SETPOINT,
    ("LOAD_CONTROL", "x-loadControlCapacity"): SignalKind.CAPACITY_FRACTION,
    ("SIMPLE", "level"): SignalKind.SIMPLE_LEVEL,
    ("ELECTRICITY_PRICE", "price"): SignalKind.PRICE,
}
_LEGACY_SCALE_KW = {"none": 1e-3, "k": 1.0, "M": 1e3}


def _legacy(name: str, type_: str, base: Any) -> tuple[SignalKind | None, str | None, float, str]:
    kind = _LEGACY_KINDS.get((name.upper() if name.lower() == "simple" else name, type_))
    if not isinstance(base, Mapping):
        return kind, None, 1.0, "" if kind else f"signal {name}/{type_} not supported"
    unit, scale = base.get("unit"), base.get("scale") or "none"
    shown = None if unit is None else f"{'' if scale == 'none' else scale}{unit}"
    if kind is not None and kind.is_power and (unit != "W" or scale not in _LEGACY_SCALE_KW):
        return None, shown, 1.0, f"{name} in {unit!r}: only W is supported"
    return (
        kind,
        shown,
        _LEGACY_SCALE_KW.get(scale, 1.0),
        "" if kind else f"signal {name}/{type_} not supported",
    )


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


def _delta(seconds: float | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=float(seconds))


def _time_text(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _aware(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"not an aware timestamp: {text!r}")
    return when


def _time(text: str | None) -> datetime | None:
    return None if text is None else _aware(text)
