"""Admin API response bodies (also what /api/openapi.json documents), built from core records."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from ven.timeparse import format_duration
from vtn_mock.events import StoredEvent
from vtn_mock.opts import OptSchedule
from vtn_mock.performance import EventPerformance
from vtn_mock.store import Opt, VenRecord


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ExcludedVen(_Out):
    """A VEN left out of an event because its optOut schedule overlaps it (respect_opt_outs)."""

    ven_id: str
    ven_name: str | None
    opt_id: str


class EventCreated(_Out):
    event_id: str
    modification_number: int
    status: str
    vens: list[str]
    excluded: list[ExcludedVen] = []


class OptWindowOut(_Out):
    start: datetime
    end: datetime
    duration: str


class OptScheduleOut(_Out):
    """One oadrCreateOpt a VEN sent: availability windows, or an opt about one event."""

    opt_id: str
    ven_id: str
    ven_name: str | None
    opt_type: str
    opt_reason: str
    market_context: str | None
    event_id: str | None
    modification_number: int | None
    resource_ids: list[str]
    windows: list[OptWindowOut]
    created_at: datetime
    cancelled_at: datetime | None
    live: bool


class IntervalOut(_Out):
    start: datetime
    end: datetime
    duration: str
    value: float


class VenAnswer(_Out):
    ven_id: str
    ven_name: str | None
    opt: str | None
    opt_modification_number: int | None
    opt_via: str | None
    responded_at: datetime | None
    delivered_modification_number: int | None
    delivered_at: datetime | None


class EventOut(_Out):
    event_id: str
    modification_number: int
    status: str
    signal: str
    type: str
    start: datetime
    end: datetime
    intervals: list[IntervalOut]
    response_required: str
    test_event: bool
    startafter: str | None
    ramp_up: str | None
    recovery: str | None
    notification: str | None
    priority: int
    targets: list[dict[str, str]]
    market_context: str
    unit: str | None
    vtn_comment: str | None
    created_at: datetime
    modified_at: datetime
    source: str
    notify_at: datetime | None = None  # a pending scenario event: when it will be sent
    vens: list[VenAnswer]


class VenOut(_Out):
    ven_id: str
    ven_name: str
    registered: bool
    registration_id: str | None
    fingerprint: str | None
    registered_at: datetime | None
    last_poll_at: datetime | None
    poll_count: int


class ReadingOut(_Out):
    r_id: str
    report_name: str
    report_type: str | None
    resource_id: str | None
    measured_at: datetime
    value: Any


class PerformanceInterval(_Out):
    start: datetime
    end: datetime
    requested_kw: float | None
    baseline_kw: float | None
    measured_kw: float | None
    delivered_kw: float | None


class PerformanceTotals(_Out):
    requested_kw_avg: float | None
    delivered_kw_avg: float | None
    delivered_ratio: float | None


class VenPerformanceOut(_Out):
    ven_id: str
    ven_name: str | None
    intervals: list[PerformanceInterval]
    totals: PerformanceTotals


class PerformanceOut(_Out):
    event_id: str
    signal: str
    type: str
    intervals: list[PerformanceInterval]
    totals: PerformanceTotals
    vens: list[VenPerformanceOut]


class ErrorItem(_Out):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(_Out):
    detail: list[ErrorItem] | str


def _dur(delta: timedelta | None) -> str | None:
    return None if delta is None else format_duration(delta)


def event_out(
    event: StoredEvent,
    now: datetime,
    vens: dict[str, VenRecord],
    opts: dict[str, Opt],
    deliveries: dict[str, tuple[int | None, datetime | None]],
) -> EventOut:
    spec = event.spec
    answers = []
    for ven_id in event.ven_ids:
        opt = opts.get(ven_id)
        delivered = deliveries.get(ven_id, (None, None))
        ven = vens.get(ven_id)
        answers.append(
            VenAnswer(
                ven_id=ven_id,
                ven_name=ven.ven_name if ven else None,
                opt=opt.opt_type if opt else None,
                opt_modification_number=opt.modification_number if opt else None,
                opt_via=opt.via if opt else None,
                responded_at=opt.at if opt else None,
                delivered_modification_number=delivered[0],
                delivered_at=delivered[1],
            )
        )
    return EventOut(
        event_id=event.event_id,
        modification_number=event.modification_number,
        status=event.status(now),
        signal=spec.signal_name,
        type=spec.signal_type,
        start=spec.start,
        end=spec.end,
        intervals=[
            IntervalOut(start=b, end=e, duration=format_duration(i.duration), value=i.value)
            for b, e, i in spec.interval_bounds()
        ],
        response_required=spec.response_required,
        test_event=spec.test_event,
        startafter=_dur(spec.startafter),
        ramp_up=_dur(spec.ramp_up),
        recovery=_dur(spec.recovery),
        notification=_dur(spec.notification),
        priority=spec.priority,
        targets=[dict(t) for t in spec.targets],
        market_context=spec.market_context,
        unit=spec.unit,
        vtn_comment=spec.vtn_comment,
        created_at=event.created_at,
        modified_at=event.modified_at,
        source=event.source,
        notify_at=event.notify_at,
        vens=answers,
    )


def ven_out(ven: VenRecord) -> VenOut:
    return VenOut(
        ven_id=ven.ven_id,
        ven_name=ven.ven_name,
        registered=ven.registration_id is not None,
        registration_id=ven.registration_id,
        fingerprint=ven.fingerprint,
        registered_at=ven.registered_at,
        last_poll_at=ven.last_poll_at,
        poll_count=ven.poll_count,
    )


def reading_out(row: tuple[str, str, str | None, str | None, datetime, str]) -> ReadingOut:
    r_id, report_name, report_type, resource_id, measured_at, value = row
    return ReadingOut(
        r_id=r_id,
        report_name=report_name,
        report_type=report_type,
        resource_id=resource_id,
        measured_at=measured_at,
        value=json.loads(value),
    )


def performance_out(result: EventPerformance) -> PerformanceOut:
    return PerformanceOut.model_validate(result)


def opt_schedule_out(opt: OptSchedule, vens: dict[str, VenRecord]) -> OptScheduleOut:
    ven = vens.get(opt.ven_id)
    return OptScheduleOut(
        opt_id=opt.opt_id,
        ven_id=opt.ven_id,
        ven_name=ven.ven_name if ven else None,
        opt_type=opt.opt_type,
        opt_reason=opt.opt_reason,
        market_context=opt.market_context,
        event_id=opt.event_id,
        modification_number=opt.modification_number,
        resource_ids=list(opt.resource_ids),
        windows=[
            OptWindowOut(start=start, end=start + length, duration=format_duration(length))
            for start, length in opt.components
        ],
        created_at=opt.created_at,
        cancelled_at=opt.cancelled_at,
        live=opt.live,
    )
