"""3.1 events: the core's events (admin API, scenarios) seen through `projection`, and events BL clients
create over 3.1, kept as posted.

Core events reach 2.0b and 3.1 VENs alike. Cancelling one (admin API, or DELETE here) deletes it for 3.1:
it is no longer listed, GET answers 404, and subscribers get a DELETE notification (User Guide 7.9). A core
event can be changed only through the admin API (PUT answers 409). Events posted over 3.1 are seen by 3.1
VENs only and have no performance figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ven.openadr3.models import EventRequest, ObjectType, Operation
from ven.openadr3.timing import Span, interval_spans
from vtn_mock.core import EventClosedError
from vtn_mock.events import StoredEvent
from vtn_mock.openadr3.access import Query, matches_asked, visible_targets
from vtn_mock.openadr3.auth import Principal
from vtn_mock.openadr3.context import Context, Render
from vtn_mock.openadr3.objects import Doc
from vtn_mock.openadr3.problems import bad_request, conflict, not_found
from vtn_mock.openadr3.programs import Programs
from vtn_mock.openadr3.projection import project_event, wire_event_id

HIDDEN_STATUSES = ("pending", "cancelled")  # scenario events not sent yet; cancelled = deleted for 3.1


class Events:
    def __init__(self, ctx: Context, programs: Programs) -> None:
        self._ctx = ctx
        self._programs = programs
        ctx.core.add_listener(self.on_core_change)

    # Core events
    def _core_events(self) -> list[StoredEvent]:
        now = self._ctx.now()
        return [e for e in self._ctx.core.events() if e.status(now) not in HIDDEN_STATUSES]

    def find_core(self, wire_id: str, include_cancelled: bool = False) -> StoredEvent | None:
        events = self._ctx.core.events() if include_cancelled else self._core_events()
        return next((e for e in events if wire_event_id(e.event_id) == wire_id), None)

    def core_view(self, event: StoredEvent) -> Render:
        def render(reader: Principal, asked: tuple[str, ...] | None) -> Doc | None:
            core = self._ctx.core
            if reader.is_bl:
                addressed = event.ven_ids
            else:
                mine = {v["id"] for v in self._ctx.client_vens(reader.client_id)}
                addressed = tuple(v for v in event.ven_ids if v in mine)
                if not addressed:
                    return None
            names = [ven.ven_name for v in addressed if (ven := core.ven(v)) is not None]
            if asked is not None:
                names = [n for n in names if n in asked]
                if not names:
                    return None
            program_id = self._programs.for_market_context(event.spec.market_context)
            return project_event(event, program_id, names).wire()

        return render

    # Events posted over 3.1
    def native_view(self, doc: Doc) -> Render:
        def render(reader: Principal, asked: tuple[str, ...] | None) -> Doc | None:
            if reader.is_bl:
                return doc if matches_asked(doc.get("targets"), asked) else None
            shown = visible_targets(doc.get("targets"), self._ctx.granted(reader), asked)
            return None if shown is None else {**doc, "targets": shown or None}

        return render

    @staticmethod
    def native_spans(doc: Doc) -> list[Span]:
        event = EventRequest.model_validate(doc)
        return interval_spans(event.interval_period, event.intervals or [])

    def _native_end(self, doc: Doc) -> datetime | None:
        spans = self.native_spans(doc)
        return max(s.end for s in spans) if spans else None

    # Requests
    def _polled(self, reader: Principal) -> None:
        """A VEN reading its events is polling: the admin API shows when, and what it was given."""
        if not reader.is_bl:
            for ven in self._ctx.client_vens(reader.client_id):
                self._ctx.core.on_poll(str(ven["id"]))

    def list(self, reader: Principal, query: Query, program_id: str | None, active: bool | None) -> list[Doc]:
        self._polled(reader)
        now = self._ctx.now()
        shown: list[Doc] = []
        for event in self._core_events():
            if active and event.spec.end <= now:
                continue
            doc = self.core_view(event)(reader, query.targets)
            if doc is not None and program_id in (None, doc["programID"]):
                shown.append(doc)
        for raw in self._ctx.objects.all(ObjectType.EVENT):
            end = self._native_end(raw) if active else None
            if (end is not None and end <= now) or program_id not in (None, raw["programID"]):
                continue
            doc = self.native_view(raw)(reader, query.targets)
            if doc is not None:
                shown.append(doc)
        return query.page(shown)

    def _lookup(self, reader: Principal, event_id: str) -> Doc | None:
        core = self.find_core(event_id)
        if core is not None:
            return self.core_view(core)(reader, None)
        raw = self._ctx.objects.get(ObjectType.EVENT, event_id)
        return self.native_view(raw)(reader, None) if raw is not None else None

    def get(self, reader: Principal, event_id: str) -> Doc:
        self._polled(reader)
        doc = self._lookup(reader, event_id)
        if doc is None:
            raise not_found(f"event {event_id!r}")
        return doc

    def visible(self, reader: Principal, event_id: str) -> bool:
        return self._lookup(reader, event_id) is not None

    def create(self, body: EventRequest) -> Doc:
        if not self._programs.exists(body.program_id):
            raise conflict(f"no program {body.program_id!r}")
        event_id = self._ctx.new_id("evt")
        doc = {**self._ctx.stamp(ObjectType.EVENT, event_id), **body.wire()}
        return self._save(Operation.CREATE, doc)

    def update(self, event_id: str, body: EventRequest) -> Doc:
        if self.find_core(event_id) is not None:
            raise conflict(f"event {event_id!r} comes from the admin API: change it there")
        old = self._ctx.objects.get(ObjectType.EVENT, event_id)
        if old is None:
            raise not_found(f"event {event_id!r}")
        if not self._programs.exists(body.program_id):
            raise conflict(f"no program {body.program_id!r}")
        doc = {**self._ctx.stamp(ObjectType.EVENT, event_id, old["createdDateTime"]), **body.wire()}
        return self._save(Operation.UPDATE, doc)

    def delete(self, reader: Principal, event_id: str) -> Doc:
        core = self.find_core(event_id)
        if core is not None:
            shown = self.core_view(core)(reader, None)
            try:
                self._ctx.core.cancel_event(core.event_id)  # the listener notifies subscribers
            except EventClosedError as err:
                raise bad_request(str(err)) from None
            assert shown is not None  # a BL reader sees every core event
            return shown
        doc = self._ctx.objects.delete(ObjectType.EVENT, event_id)
        if doc is None:
            raise not_found(f"event {event_id!r}")
        self._ctx.notify(ObjectType.EVENT, Operation.DELETE, self.native_view(doc), doc["programID"])
        return doc

    def uses_program(self, program_id: str) -> bool:
        contexts = self._ctx.objects.market_contexts()
        if any(contexts.get(program_id) == e.spec.market_context for e in self._core_events()):
            return True
        return any(d["programID"] == program_id for d in self._ctx.objects.all(ObjectType.EVENT))

    def _save(self, operation: Operation, doc: dict[str, Any]) -> Doc:
        self._ctx.objects.put(ObjectType.EVENT, doc)
        self._ctx.notify(ObjectType.EVENT, operation, self.native_view(doc), doc["programID"])
        return doc

    def on_core_change(self, operation: str, event: StoredEvent) -> None:
        """Core events created, modified or cancelled (admin API, scenarios, DELETE here) → notifications."""
        change = {"created": Operation.CREATE, "modified": Operation.UPDATE, "cancelled": Operation.DELETE}
        program_id = self._programs.for_market_context(event.spec.market_context)
        self._ctx.notify(ObjectType.EVENT, change[operation], self.core_view(event), program_id)
