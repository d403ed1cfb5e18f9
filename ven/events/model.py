"""Our own demand-response event: what every protocol edge converts a VTN's event into, once.

Protocol-neutral: 2.0b (ven.openadr.models.event_from_openleadr) and 3.1 (ven.openadr3.convert) build
these; the event book, opt decisions, dispatch and telemetry know nothing else. Signals carry what they ask
of the fleet (`SignalKind`) and how their payloads scale to kW; a signal the VEN does not act on keeps
`kind=None` and says why, so the event can still be tracked and answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from ven.errors import V2XError


class EventStatus(StrEnum):
    """The live status this VEN tracks for an event (from its effective times and cancellation)."""

    FAR = "far"
    NEAR = "near"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class VtnStatus(StrEnum):
    """What the VTN said of the event (2.0b eventStatus; a 3.1 VTN says nothing: NONE). Only CANCELLED
    changes what the VEN does; the live status is the VEN's own (EventStatus)."""

    NONE = "none"
    FAR = "far"
    NEAR = "near"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ResponseRequired(StrEnum):
    ALWAYS = "always"
    NEVER = "never"


class SignalKind(StrEnum):
    """What a signal asks of the fleet; docs/reference.md maps each protocol's signals onto these.

    | kind              | payload               | requested reduction per interval (kW)          |
    |-------------------|-----------------------|------------------------------------------------|
    | LOAD_DELTA        | load change, power    | -value (negative = shed)                       |
    | LOAD_SETPOINT     | load setpoint, power  | baseline - value (load-up when negative)       |
    | IMPORT_LIMIT      | import limit, power   | max(0, baseline - value)                       |
    | CAPACITY_FRACTION | fraction of baseline  | max(0, baseline * (1 - value))                 |
    | SIMPLE_LEVEL      | level 0-3             | share of the available reduction per level     |
    | PRICE             | price                 | 0; the values become the request's price       |
    """

    LOAD_DELTA = "load_delta"
    LOAD_SETPOINT = "load_setpoint"
    IMPORT_LIMIT = "import_limit"
    CAPACITY_FRACTION = "capacity_fraction"
    SIMPLE_LEVEL = "simple_level"
    PRICE = "price"

    @property
    def is_power(self) -> bool:
        return self in (SignalKind.LOAD_DELTA, SignalKind.LOAD_SETPOINT, SignalKind.IMPORT_LIMIT)


@dataclass(frozen=True, slots=True)
class Targets:
    """Whom the event is for; criteria are OR'd and no criteria means every VEN."""

    ven_id: tuple[str, ...] = ()
    resource_id: tuple[str, ...] = ()
    group_id: tuple[str, ...] = ()
    party_id: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SignalInterval:
    uid: int
    duration: timedelta
    value: float  # in the payload's unit: `EventSignal.kw_per_unit` turns power payloads into kW


@dataclass(frozen=True, slots=True)
class EventSignal:
    """One signal. `name`/`type`/`unit` are as the VTN spelled them (for logs and views only);
    `kind` is what the core acts on, None for a signal it does not (then `problem` says why)."""

    kind: SignalKind | None
    name: str
    signal_id: str
    intervals: tuple[SignalInterval, ...]
    type: str = ""
    unit: str | None = None
    kw_per_unit: float = 1.0
    current_value: float | None = None
    problem: str = ""


@dataclass(frozen=True, slots=True)
class DrEvent:
    """One modification of one event. `startafter` is the VTN's randomisation window, which the runtime
    draws an offset within; ramp-up, recovery and notification are durations around `dtstart`; a
    `duration` of 0 is open-ended. `market_context` names the programme (2.0b marketContext, 3.1
    programName).
    """

    event_id: str
    modification_number: int
    priority: int
    market_context: str
    created: datetime | None
    dtstart: datetime
    duration: timedelta
    event_status: VtnStatus
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
    """Every event the VTN lists for this VEN at once. `event_ids` holds them all (also ones that could not
    be converted), so the book cancels any known event that is no longer listed (implied cancellation)."""

    request_id: str
    vtn_id: str | None
    event_ids: tuple[str, ...]
    events: tuple[DrEvent, ...] = field(default=())


class EventRejectedError(V2XError):
    """An event the VEN cannot take; `unsupported` says whether because of a signal it does not act on
    (else its values cannot be read). Edges turn it into their own answer (2.0b: 460 or 454)."""

    unsupported = False

    def __init__(self, event_id: str | None, problem: str) -> None:
        self.event_id = event_id
        self.problem = problem
        super().__init__(f"event {event_id or '?'}: {problem}")


class MalformedEventError(EventRejectedError):
    """The event lacks a field or holds a value of the wrong type or range."""


class UnsupportedSignalError(EventRejectedError):
    """A signal this VEN does not act on."""

    unsupported = True
