"""The mock VTN's behaviour, independent of transport: VENs, events, opt answers, reports.

Both the OpenADR endpoint and the admin API call into one `VtnCore`. It keeps VENs and events in memory
(the poll path must stay a dict lookup) and writes every change through to the `Store`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from openleadr import objects

from ven.clock import Clock
from vtn_mock import reports
from vtn_mock.events import EventSpec, StoredEvent, to_oadr
from vtn_mock.opts import OptSchedule
from vtn_mock.store import Opt, ReportDescription, Store, VenRecord

logger = logging.getLogger("vtn_mock")


class RegistrationRefusedError(Exception):
    """A VEN may not register (unknown in enrolled mode, or its certificate is not the enrolled one)."""


class EventNotFoundError(LookupError):
    pass


class EventClosedError(Exception):
    """The event is cancelled, already over, or a scenario event not sent yet: it cannot change now."""


class VenSelectionError(LookupError):
    """An event names a VEN the VTN does not know, or there is no VEN to send it to."""

    def __init__(self, index: int | None, message: str) -> None:
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class Enrollment:
    mode: str = "open"  # "open": anyone may register; "enrolled": only these names, with these fingerprints
    fingerprints: tuple[tuple[str, str], ...] = ()  # (ven_name, fingerprint)
    ven_ids: tuple[tuple[str, str], ...] = ()  # (ven_name, fixed ven_id)


class VtnCore:
    def __init__(  # noqa: PLR0917 - positional since round 1; the additions are keyword-able
        self,
        store: Store,
        clock: Clock,
        new_id: Callable[[str], str],
        enrollment: Enrollment,
        report_sampling: timedelta = timedelta(seconds=10),
        report_back_duration: timedelta | None = None,
        respect_opt_outs: bool = False,
        status_sampling: timedelta | None = None,
        request_forecast: bool = True,
        request_status: bool = True,
    ) -> None:
        self._store = store
        self._clock = clock
        self._new_id = new_id
        self._enrollment = enrollment
        self._report_sampling = report_sampling
        self._report_back_duration = report_back_duration
        self.respect_opt_outs = respect_opt_outs
        self._status_sampling = status_sampling
        self._request_forecast = request_forecast
        self._request_status = request_status
        self._vens = {ven.ven_id: ven for ven in store.load_vens()}
        self._events = {event.event_id: event for event in store.load_events()}
        self._scheduled: dict[str, StoredEvent] = {}  # scenario events not sent yet (memory only)
        self._descriptions = store.load_report_descriptions()
        self._report_requests = store.load_report_requests()
        self._delivered = store.load_deliveries()
        now = clock.now()
        # After a restart every VEN with a current event gets a fresh oadrDistributeEvent on its next poll.
        self._pending = {v for e in self._events.values() if e.spec.end > now for v in e.ven_ids}
        self._listeners: list[Callable[[str, StoredEvent], None]] = []

    def add_listener(self, listener: Callable[[str, StoredEvent], None]) -> None:
        """Called with ("created" | "modified" | "cancelled", event) after each change (OpenADR 3.1 push)."""
        self._listeners.append(listener)

    def _changed(self, change: str, event: StoredEvent) -> StoredEvent:
        for listener in self._listeners:
            listener(change, event)
        return event

    @property
    def store(self) -> Store:
        return self._store

    @property
    def clock(self) -> Clock:
        return self._clock

    # VENs
    def register(self, ven_name: str, fingerprint: str | None) -> VenRecord:
        """Register (or re-register) a VEN by name; raises RegistrationRefusedError."""
        existing = next((v for v in self._vens.values() if v.ven_name == ven_name), None)
        if self._enrollment.mode == "enrolled":
            expected = dict(self._enrollment.fingerprints).get(ven_name)
            if expected is None:
                raise RegistrationRefusedError(f"VEN name {ven_name!r} is not enrolled")
            if fingerprint != expected:
                raise RegistrationRefusedError(f"certificate of {ven_name!r} is not the enrolled one")
        elif existing is not None and existing.fingerprint and fingerprint != existing.fingerprint:
            raise RegistrationRefusedError(f"VEN name {ven_name!r} is registered with another certificate")
        ven_id = (
            existing.ven_id
            if existing
            else dict(self._enrollment.ven_ids).get(ven_name) or self._new_id("ven")
        )
        ven = VenRecord(
            ven_id=ven_id,
            ven_name=ven_name,
            registration_id=self._new_id("reg"),
            fingerprint=fingerprint,
            registered_at=self._clock.now(),
            last_poll_at=existing.last_poll_at if existing else None,
            poll_count=existing.poll_count if existing else 0,
        )
        self._vens[ven_id] = ven
        self._store.save_ven(ven, "registered")
        self._pending.add(ven_id)  # a (re-)registered VEN gets its current events on the next poll
        logger.info(f"VEN {ven_name!r} registered as {ven_id}")
        return ven

    def register_client(self, ven_name: str) -> VenRecord:
        """A VEN that authenticated another way (an OpenADR 3.1 OAuth2 client): no certificate, and the 2.0b
        enrollment list is not consulted. A name in use by a registered VEN of another kind is the caller's
        to refuse."""
        existing = next((v for v in self._vens.values() if v.ven_name == ven_name), None)
        ven = VenRecord(
            ven_id=existing.ven_id if existing else self._new_id("ven"),
            ven_name=ven_name,
            registration_id=self._new_id("reg"),
            fingerprint=None,
            registered_at=self._clock.now(),
            last_poll_at=existing.last_poll_at if existing else None,
            poll_count=existing.poll_count if existing else 0,
        )
        self._vens[ven.ven_id] = ven
        self._store.save_ven(ven, "registered")
        logger.info(f"VEN {ven_name!r} registered as {ven.ven_id} (OpenADR 3.1)")
        return ven

    def cancel_registration(self, ven_id: str) -> VenRecord | None:
        ven = self._vens.get(ven_id)
        if ven is None:
            return None
        self._vens[ven_id] = replace(ven, registration_id=None)
        self._store.save_ven(self._vens[ven_id], "cancelled")
        return ven

    def ven(self, ven_id: str) -> VenRecord | None:
        return self._vens.get(ven_id)

    def vens(self) -> list[VenRecord]:
        return sorted(self._vens.values(), key=lambda v: v.ven_name)

    def resolve_ven(self, name_or_id: str) -> VenRecord | None:
        return self._vens.get(name_or_id) or next(
            (v for v in self._vens.values() if v.ven_name == name_or_id), None
        )

    def select_vens(self, selector: list[str] | None) -> list[str]:
        """VEN ids for names or ids; None selects every registered VEN."""
        if selector is None:
            ven_ids = [v.ven_id for v in self.vens() if v.registration_id is not None]
            if not ven_ids:
                raise VenSelectionError(None, "no VEN is registered yet")
            return ven_ids
        out = []
        for index, name in enumerate(selector):
            ven = self.resolve_ven(name)
            if ven is None:
                raise VenSelectionError(index if len(selector) > 1 else None, f"unknown VEN {name!r}")
            out.append(ven.ven_id)
        return out

    def expected_fingerprint(self, ven: VenRecord) -> str | None:
        if self._enrollment.mode == "enrolled":
            return dict(self._enrollment.fingerprints).get(ven.ven_name)
        return ven.fingerprint

    # Events
    def events(self) -> list[StoredEvent]:
        """Every event, scheduled (pending) ones included, by start time."""
        every = {**self._scheduled, **self._events}
        return sorted(every.values(), key=lambda e: (e.spec.start, e.event_id))

    def event(self, event_id: str) -> StoredEvent:
        found = self._events.get(event_id) or self._scheduled.get(event_id)
        if found is None:
            raise EventNotFoundError(event_id)
        return found

    def sent(self, event_id: str) -> bool:
        """Whether the event exists beyond a schedule (created, so distributed to its VENs)."""
        return event_id in self._events

    def schedule(self, event_id: str, spec: EventSpec, notify_at: datetime) -> StoredEvent:
        """A scenario event the VTN will create at `notify_at`; listed with status pending until then."""
        now = self._clock.now()
        event = StoredEvent(
            event_id,
            0,
            cancelled=False,
            spec=spec,
            ven_ids=(),
            created_at=now,
            modified_at=now,
            source="scenario",
            notify_at=notify_at,
        )
        self._scheduled[event_id] = event
        return event

    def create_event(
        self, spec: EventSpec, ven_ids: list[str], event_id: str | None = None, source: str = "admin"
    ) -> StoredEvent:
        now = self._clock.now()
        if event_id is not None:
            self._scheduled.pop(event_id, None)
        event = StoredEvent(
            event_id=event_id or self._new_id("evt"),
            modification_number=0,
            cancelled=False,
            spec=spec,
            ven_ids=tuple(dict.fromkeys(ven_ids)),
            created_at=now,
            modified_at=now,
            source=source,
        )
        return self._changed("created", self._put(event))

    def modify_event(self, event_id: str, spec: EventSpec) -> StoredEvent:
        event = self._open_event(event_id)
        return self._changed("modified", self._put(event.modified(spec, self._clock.now())))

    def cancel_event(self, event_id: str) -> StoredEvent:
        event = self._open_event(event_id)
        return self._changed("cancelled", self._put(event.cancel(self._clock.now())))

    def _open_event(self, event_id: str) -> StoredEvent:
        event = self.event(event_id)
        if event.status(self._clock.now()) in ("pending", "cancelled", "completed"):
            raise EventClosedError(f"event {event_id} is {event.status(self._clock.now())}")
        return event

    def _put(self, event: StoredEvent) -> StoredEvent:
        self._events[event.event_id] = event
        self._store.save_event(event)
        self._pending.update(event.ven_ids)
        return event

    # OpenADR exchanges
    def on_poll(self, ven_id: str) -> list[dict[str, Any]] | None:
        """Record the poll; the VEN's current events if they changed since it last got them, else None."""
        now = self._clock.now()
        ven = self._vens.get(ven_id)
        if ven is not None:
            self._vens[ven_id] = replace(ven, last_poll_at=now, poll_count=ven.poll_count + 1)
            self._store.record_poll(ven_id, now)
        if ven_id not in self._pending:
            return None
        return self.distribution(ven_id) or None

    def distribution(self, ven_id: str) -> list[dict[str, Any]]:
        """This VEN's events that are not over (cancelled ones until their end), as oadrEvents."""
        now = self._clock.now()
        self._pending.discard(ven_id)
        current = [
            e
            for e in self.events()
            if ven_id in e.ven_ids and e.spec.end > now and self._still_news(e, ven_id)
        ]
        for event in current:
            if self._delivered.get((event.event_id, ven_id)) != event.modification_number:
                self._delivered[(event.event_id, ven_id)] = event.modification_number
                self._store.mark_delivered(event.event_id, ven_id, event.modification_number, now)
        return [to_oadr(event, ven_id, now) for event in current]

    def _still_news(self, event: StoredEvent, ven_id: str) -> bool:
        """A cancellation is sent until the VEN got it once. Resending it breaks stock openleadr VENs: they
        forget cancelled events' answers, then opt out of every event in the next oadrDistributeEvent."""
        return (
            not event.cancelled or self._delivered.get((event.event_id, ven_id)) != event.modification_number
        )

    # Opt schedules
    def record_opt_schedule(self, schedule: OptSchedule) -> None:
        """Keep a VEN's opt schedule; a whole-VEN opt about one event is also its answer to that event."""
        self._store.save_opt_schedule(schedule)
        if schedule.event_id is not None and schedule.whole_ven:
            self.record_opt(
                schedule.ven_id,
                schedule.event_id,
                schedule.modification_number,
                schedule.opt_type,
                via="oadrCreateOpt",
            )
        about = f"event {schedule.event_id}" if schedule.event_id else f"{len(schedule.components)} windows"
        logger.info(f"VEN {schedule.ven_id} sent opt {schedule.opt_id}: {schedule.opt_type}, {about}")

    def cancel_opt_schedule(self, ven_id: str, opt_id: str) -> bool:
        return self._store.cancel_opt_schedule(ven_id, opt_id, self._clock.now())

    def opt_schedules(self, ven_id: str | None = None, *, live_only: bool = False) -> list[OptSchedule]:
        return self._store.opt_schedules(ven_id, live_only=live_only)

    def opted_out(self, ven_ids: list[str], spec: EventSpec) -> dict[str, OptSchedule]:
        """VENs (of `ven_ids`) with a live whole-VEN optOut window overlapping the event, and that opt."""
        found: dict[str, OptSchedule] = {}
        for schedule in self._store.opt_schedules(live_only=True):
            if schedule.ven_id in ven_ids and schedule.out_during(spec.start, spec.end):
                found.setdefault(schedule.ven_id, schedule)
        return found

    def record_opt(
        self, ven_id: str, event_id: str, modification_number: int | None, opt_type: str, via: str
    ) -> bool:
        """Store a VEN's opt answer; False if the event is unknown or not meant for this VEN."""
        event = self._events.get(event_id)
        if event is None or ven_id not in event.ven_ids:
            return False
        self._store.record_opt(event_id, ven_id, Opt(opt_type, modification_number, via, self._clock.now()))
        return True

    def register_reports(self, ven_id: str, offered: list[dict[str, Any]]) -> list[objects.ReportRequest]:
        """Remember what the VEN offers; request every TELEMETRY_USAGE and TELEMETRY_STATUS data point (the
        flexibility forecast and TELEMETRY_STATUS unless turned off)."""
        found = reports.descriptions(offered)
        self._store.save_report_descriptions(ven_id, found)
        for d in found:
            self._descriptions[(ven_id, d.report_specifier_id, d.r_id)] = d
        requests = reports.report_requests(
            offered,
            self._report_sampling,
            lambda: self._new_id("rr"),
            back_duration=self._report_back_duration,
            status_sampling=self._status_sampling,
            forecast=self._request_forecast,
            status=self._request_status,
        )
        now = self._clock.now()
        for specifier_id, request in requests:
            self._report_requests[request.report_request_id] = (ven_id, specifier_id)
            self._store.save_report_request(request.report_request_id, ven_id, specifier_id, now)
        return [request for _, request in requests]

    def record_report(self, ven_id: str, report: dict[str, Any]) -> int:
        """Store the readings of one oadrReport; returns how many were stored."""
        owner = self._report_requests.get(str(report.get("report_request_id")))
        specifier_id = owner[1] if owner and owner[0] == ven_id else str(report.get("report_specifier_id"))

        def lookup(r_id: str) -> ReportDescription | None:
            return self._descriptions.get((ven_id, specifier_id, r_id))

        found, unknown = reports.readings(ven_id, report, lookup)
        if unknown:
            logger.warning(f"VEN {ven_id} reported {unknown} value(s) for data points it never described")
        self._store.add_readings(found, self._clock.now())
        return len(found)
