"""Admin API request bodies: pydantic models that validate field by field and convert to `EventSpec`.

Times (`start`) are ISO 8601 with an offset, `now` or `+5m`; "now" comes from the validation context so the
clock stays injectable. Durations are `15m`, `90s`, `3h` or ISO 8601 (`PT15M`), whole seconds, positive.
Limits (docs/vtn-mock.md): an event lasts at most MAX_EVENT and starts at most MAX_LEAD from now; offsets
(startafter, ramp-up, recovery, notification) are at most MAX_EVENT; text holds only characters XML can
carry. Anything beyond is a 422, never a 500.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from functools import cache
from typing import Annotated, Any, Literal

from lxml import etree
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from ven.errors import InputError
from ven.timeparse import coerce_duration, format_duration, parse_time
from vtn_mock.events import SIGNAL_TYPES, EventSpec, Interval, StoredEvent

MAX_EVENT = timedelta(days=31)  # longest event, and longest offset
MAX_LEAD = timedelta(days=366)  # furthest start from now
# Characters XML 1.0 cannot carry at all (controls but tab and line breaks, lone surrogates, U+FFFE/FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_chars(value: str) -> str:
    if _NOT_XML.search(value):
        raise ValueError("must not contain control characters or lone surrogates")
    return value


XmlText = Annotated[str, AfterValidator(_xml_chars)]


@cache
def _any_uri() -> etree.XMLSchema:
    return etree.XMLSchema(etree.XML(_ANY_URI_SCHEMA))


_ANY_URI_SCHEMA = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:element name="u" type="xs:anyURI"/></xs:schema>"""


def _uri(value: str) -> str:
    """A marketContext goes out as xs:anyURI: a value the schema refuses would make the VEN drop every
    oadrDistributeEvent carrying it (all its events), so it is refused here, by the same check."""
    document = etree.Element("u")
    document.text = value
    if not _any_uri().validate(document):
        raise ValueError("must be a URI (xs:anyURI), e.g. oadr://utility.example/programme")
    return value


def _whole_positive(value: object) -> timedelta:
    delta = coerce_duration(value)
    if delta <= timedelta() or delta.total_seconds() != int(delta.total_seconds()):
        raise ValueError("must be a positive whole number of seconds")
    return _bounded(delta)


def _whole_non_negative(value: object) -> timedelta:
    delta = coerce_duration(value)
    if delta < timedelta() or delta.total_seconds() != int(delta.total_seconds()):
        raise ValueError("must be a whole number of seconds, not negative")
    return _bounded(delta)


def _bounded(delta: timedelta) -> timedelta:
    if delta > MAX_EVENT:
        raise ValueError(f"must be at most {MAX_EVENT.days} days")
    return delta


_DURATION_SCHEMA = {
    "type": "string",
    "examples": ["PT15M", "15m", "90s"],
    "description": "ISO 8601 duration or 90s / 15m / 3h",
}
Duration = Annotated[timedelta, BeforeValidator(_whole_positive), WithJsonSchema(_DURATION_SCHEMA)]
Offset = Annotated[timedelta, BeforeValidator(_whole_non_negative), WithJsonSchema(_DURATION_SCHEMA)]
Time = Annotated[
    datetime,
    WithJsonSchema(
        {
            "type": "string",
            "examples": ["2026-07-01T16:00:00-04:00", "now", "+5m"],
            "description": "ISO 8601 with a UTC offset, now, or +DURATION",
        }
    ),
]
SignalName = Literal["LOAD_DISPATCH", "SIMPLE", "LOAD_CONTROL", "ELECTRICITY_PRICE"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntervalIn(_Body):
    duration: Duration
    value: float

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class TargetIn(_Body):
    ven_id: XmlText | None = None
    resource_id: XmlText | None = None
    group_id: XmlText | None = None
    group_name: XmlText | None = None
    party_id: XmlText | None = None

    def pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((k, v) for k, v in self.model_dump().items() if v is not None))


def _parse_start(value: object, info: ValidationInfo) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a time: ISO 8601 with offset, now, or +5m")  # noqa: TRY004 (pydantic wants ValueError)
    context = info.context or {}
    now = context.get("now")
    if not isinstance(now, datetime):
        raise ValueError("no clock in the validation context")  # noqa: TRY004 (a programming error, reported)
    try:
        start = parse_time(value, now)
    except InputError as err:
        raise ValueError(str(err)) from None
    if start > now + MAX_LEAD:
        raise ValueError(f"must be at most {MAX_LEAD.days} days from now")
    return start


class EventCreate(_Body):
    """POST /api/events: one signal, back-to-back intervals from `start`."""

    ven: XmlText | list[XmlText] | None = Field(
        None, description="VEN name or id, a list of them, or '*' / omitted: all"
    )
    signal: SignalName
    type: str | None = Field(
        None, description="signal type; default per signal (delta, level, x-loadControlCapacity, price)"
    )
    start: Time
    intervals: Annotated[list[IntervalIn], Field(min_length=1, max_length=288)]
    response_required: Literal["always", "never"] = "always"
    test_event: bool = False
    startafter: Offset | None = Field(None, description="randomisation window (tolerance startafter)")
    ramp_up: Offset | None = None
    recovery: Offset | None = None
    notification: Offset | None = None
    priority: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    targets: list[TargetIn] | None = Field(None, description="eiTarget; default: the VEN itself")
    market_context: Annotated[
        XmlText, Field(pattern=r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$"), AfterValidator(_uri)
    ] = "oadr://v2x-mock/default"
    unit: Literal["kW", "W", "MW"] | None = Field("kW", description="LOAD_DISPATCH values' unit (itemBase)")
    vtn_comment: Annotated[XmlText, Field(max_length=256)] | None = None
    respect_opt_outs: bool | None = Field(
        None,
        description="leave out VENs with an optOut window overlapping the event ([vtn] respect_opt_outs)",
    )

    _start = field_validator("start", mode="before")(_parse_start)

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | None, info: ValidationInfo) -> str | None:
        allowed = SIGNAL_TYPES.get(info.data.get("signal", ""), ())
        if value is not None and allowed and value not in allowed:
            raise ValueError(f"for this signal use one of: {', '.join(allowed)}")
        return value

    @field_validator("intervals")
    @classmethod
    def _values(cls, intervals: list[IntervalIn], info: ValidationInfo) -> list[IntervalIn]:
        if sum((i.duration for i in intervals), timedelta()) > MAX_EVENT:
            raise ValueError(f"the event may last at most {MAX_EVENT.days} days")
        signal = info.data.get("signal")
        signal_type = info.data.get("type") or SIGNAL_TYPES.get(signal or "", ("",))[0]
        for index, interval in enumerate(intervals):
            if signal == "SIMPLE" and interval.value not in (0, 1, 2, 3):
                raise ValueError(f"intervals[{index}].value: SIMPLE levels are 0, 1, 2 or 3")
            if signal_type == "x-loadControlCapacity" and not 0 <= interval.value <= 1:
                raise ValueError(f"intervals[{index}].value: a capacity fraction is between 0 and 1")
        return intervals

    def ven_selector(self) -> list[str] | None:
        """The VENs named, or None for all registered VENs."""
        if self.ven is None or self.ven in ("*", ["*"]):
            return None
        return [self.ven] if isinstance(self.ven, str) else list(self.ven)

    def to_spec(self) -> EventSpec:
        return EventSpec(
            signal_name=self.signal,
            signal_type=self.type or SIGNAL_TYPES[self.signal][0],
            start=self.start,
            intervals=tuple(Interval(i.duration, i.value) for i in self.intervals),
            response_required=self.response_required,
            test_event=self.test_event,
            startafter=self.startafter,
            ramp_up=self.ramp_up,
            recovery=self.recovery,
            notification=self.notification,
            priority=self.priority,
            targets=tuple(t.pairs() for t in self.targets or ()),
            market_context=self.market_context,
            unit=self.unit,
            vtn_comment=self.vtn_comment,
        )


class EventModify(_Body):
    """PATCH /api/events/{id}: any of these fields; the rest stay. modificationNumber goes up by one."""

    start: str | None = None
    intervals: list[dict[str, Any]] | None = None
    response_required: Literal["always", "never"] | None = None
    test_event: bool | None = None
    startafter: str | None = None
    ramp_up: str | None = None
    recovery: str | None = None
    notification: str | None = None
    priority: int | None = None
    targets: list[dict[str, Any]] | None = None
    market_context: str | None = None
    unit: Literal["kW", "W", "MW"] | None = None
    vtn_comment: str | None = None


def as_body(event: StoredEvent) -> dict[str, Any]:
    """An event as the EventCreate body that would make it (for merging a modification)."""
    spec = event.spec

    def dur(delta: timedelta | None) -> str | None:
        return None if delta is None else format_duration(delta)

    return {
        "ven": list(event.ven_ids),
        "signal": spec.signal_name,
        "type": spec.signal_type,
        "start": spec.start.isoformat(),
        "intervals": [{"duration": format_duration(i.duration), "value": i.value} for i in spec.intervals],
        "response_required": spec.response_required,
        "test_event": spec.test_event,
        "startafter": dur(spec.startafter),
        "ramp_up": dur(spec.ramp_up),
        "recovery": dur(spec.recovery),
        "notification": dur(spec.notification),
        "priority": spec.priority,
        "targets": [dict(t) for t in spec.targets] or None,
        "market_context": spec.market_context,
        "unit": spec.unit,
        "vtn_comment": spec.vtn_comment,
    }
