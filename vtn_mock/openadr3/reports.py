"""3.1 reports (written by VEN clients, read by them and by BL) and subscriptions (anyone's own).

A report about a core event also becomes readings of the VEN it was sent to (`readings`), replaced when
the report is updated and removed with it, so GET /api/events/{id}/performance counts 3.1 VENs the same way
as 2.0b ones.
"""

from __future__ import annotations

from ven.openadr3.models import ObjectType, Operation, ReportRequest, SubscriptionRequest
from ven.openadr3.timing import Span
from vtn_mock.openadr3.access import Query
from vtn_mock.openadr3.auth import Principal
from vtn_mock.openadr3.context import Context
from vtn_mock.openadr3.events import Events
from vtn_mock.openadr3.notify import callback_url_problem
from vtn_mock.openadr3.objects import Doc
from vtn_mock.openadr3.problems import bad_request, conflict, not_found
from vtn_mock.openadr3.programs import Programs
from vtn_mock.openadr3.projection import REQUESTED_REPORTS
from vtn_mock.openadr3.readings import readings


class Reports:
    def __init__(self, ctx: Context, events: Events) -> None:
        self._ctx = ctx
        self._events = events

    def _readable(self, reader: Principal, doc: Doc) -> bool:
        return reader.is_bl or doc["clientID"] == reader.client_id

    def _program_of(self, doc: Doc) -> str | None:
        core = self._events.find_core(doc["eventID"], include_cancelled=True)
        if core is not None:
            return self._ctx.objects.market_program(core.spec.market_context)
        native = self._ctx.objects.get(ObjectType.EVENT, doc["eventID"])
        return str(native["programID"]) if native else None

    def list(
        self,
        reader: Principal,
        query: Query,
        program_id: str | None,
        event_id: str | None,
        client_name: str | None,
    ) -> list[Doc]:
        docs = [
            d
            for d in self._ctx.objects.all(ObjectType.REPORT)
            if self._readable(reader, d)
            and event_id in (None, d["eventID"])
            and client_name in (None, d["clientName"])
            and (program_id is None or self._program_of(d) == program_id)
        ]
        return query.page(docs)

    def get(self, reader: Principal, report_id: str) -> Doc:
        doc = self._ctx.objects.get(ObjectType.REPORT, report_id)
        if doc is None or not self._readable(reader, doc):
            raise not_found(f"report {report_id!r}")
        return doc

    def create(self, reader: Principal, body: ReportRequest) -> Doc:
        if not self._events.visible(reader, body.event_id):
            raise conflict(f"no event {body.event_id!r} for this client")  # a foreign key: 409
        report_id = self._ctx.new_id("rpt")
        doc = {**self._ctx.stamp(ObjectType.REPORT, report_id), **body.wire(), "clientID": reader.client_id}
        return self._save(Operation.CREATE, doc, body)

    def update(self, reader: Principal, report_id: str, body: ReportRequest) -> Doc:
        old = self.get(reader, report_id)
        if not self._events.visible(reader, body.event_id):
            raise conflict(f"no event {body.event_id!r} for this client")
        self._forget_readings(old)
        stamp = self._ctx.stamp(ObjectType.REPORT, report_id, old["createdDateTime"])
        return self._save(Operation.UPDATE, {**stamp, **body.wire(), "clientID": old["clientID"]}, body)

    def delete(self, reader: Principal, report_id: str) -> Doc:
        doc = self.get(reader, report_id)
        self._forget_readings(doc)
        self._ctx.objects.delete(ObjectType.REPORT, report_id)
        self._ctx.notify(
            ObjectType.REPORT, Operation.DELETE, self._ctx.owner_view(doc), self._program_of(doc)
        )
        return doc

    def _save(self, operation: Operation, doc: Doc, body: ReportRequest) -> Doc:
        self._ctx.objects.put(ObjectType.REPORT, doc)
        self._record_readings(doc, body)
        self._ctx.notify(ObjectType.REPORT, operation, self._ctx.owner_view(doc), self._program_of(doc))
        return doc

    def _reporting_ven(self, doc: Doc, body: ReportRequest) -> tuple[str, dict[int, Span]] | None:
        """The core VEN a report about a core event speaks for, and that event's interval windows."""
        event = self._events.find_core(body.event_id, include_cancelled=True)
        if event is None:
            return None
        vens = [v for v in self._ctx.client_vens(doc["clientID"]) if v["id"] in event.ven_ids]
        if not vens:
            return None
        chosen = next((v for v in vens if v["venName"] == body.client_name), vens[0])
        spans = {i: Span(i, b, e) for i, (b, e, _) in enumerate(event.spec.interval_bounds())}
        return str(chosen["id"]), spans

    def _record_readings(self, doc: Doc, body: ReportRequest) -> None:
        found = self._reporting_ven(doc, body)
        if found is None:
            return
        ven_id, spans = found
        units = dict.fromkeys(REQUESTED_REPORTS, "KW")
        rows = readings(body, str(doc["id"]), ven_id, spans, units)
        self._ctx.core.store.add_readings(rows, self._ctx.now())

    def _forget_readings(self, doc: Doc) -> None:
        found = self._reporting_ven(doc, ReportRequest.model_validate(doc))
        if found is not None:
            self._ctx.objects.delete_readings_of(found[0], str(doc["id"]))


class Subscriptions:
    def __init__(self, ctx: Context, programs: Programs) -> None:
        self._ctx = ctx
        self._programs = programs

    def _readable(self, reader: Principal, doc: Doc) -> bool:
        return reader.is_bl or doc["clientID"] == reader.client_id

    def list(
        self,
        reader: Principal,
        query: Query,
        program_id: str | None,
        client_name: str | None,
        objects: list[str] | None,
    ) -> list[Doc]:
        def wanted(doc: Doc) -> bool:
            kinds = {o for op in doc["objectOperations"] for o in op["objects"]}
            return objects is None or bool(kinds & set(objects))

        docs = [
            d
            for d in self._ctx.objects.all(ObjectType.SUBSCRIPTION)
            if self._readable(reader, d)
            and program_id in (None, d.get("programID"))
            and client_name in (None, d["clientName"])
            and wanted(d)
        ]
        return query.page(docs)

    def get(self, reader: Principal, subscription_id: str) -> Doc:
        doc = self._ctx.objects.get(ObjectType.SUBSCRIPTION, subscription_id)
        if doc is None or not self._readable(reader, doc):
            raise not_found(f"subscription {subscription_id!r}")
        return doc

    async def _checked(self, body: SubscriptionRequest) -> None:
        if body.program_id is not None and not self._programs.exists(body.program_id):
            raise conflict(f"no program {body.program_id!r}")
        urls = list(dict.fromkeys(op.callback_url for op in body.object_operations))
        for url in urls:
            problem = callback_url_problem(url)
            if problem is not None:
                raise bad_request(problem)
        for url in urls:
            problem = await self._ctx.notifier.verify(url)
            if problem is not None:
                raise bad_request(problem)

    async def create(self, reader: Principal, body: SubscriptionRequest) -> Doc:
        await self._checked(body)
        subscription_id = self._ctx.new_id("sub")
        doc = {
            **self._ctx.stamp(ObjectType.SUBSCRIPTION, subscription_id),
            **body.wire(),
            "clientID": reader.client_id,
        }
        return self._save(Operation.CREATE, doc)

    async def update(self, reader: Principal, subscription_id: str, body: SubscriptionRequest) -> Doc:
        old = self.get(reader, subscription_id)
        await self._checked(body)
        stamp = self._ctx.stamp(ObjectType.SUBSCRIPTION, subscription_id, old["createdDateTime"])
        return self._save(Operation.UPDATE, {**stamp, **body.wire(), "clientID": old["clientID"]})

    def delete(self, reader: Principal, subscription_id: str) -> Doc:
        doc = self.get(reader, subscription_id)
        self._ctx.objects.delete(ObjectType.SUBSCRIPTION, subscription_id)
        self._ctx.notify(
            ObjectType.SUBSCRIPTION, Operation.DELETE, self._ctx.owner_view(doc), doc.get("programID")
        )
        return doc

    def _save(self, operation: Operation, doc: Doc) -> Doc:
        self._ctx.objects.put(ObjectType.SUBSCRIPTION, doc)
        self._ctx.notify(ObjectType.SUBSCRIPTION, operation, self._ctx.owner_view(doc), doc.get("programID"))
        return doc
