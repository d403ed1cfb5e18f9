"""3.1 programs: those BL clients create, and one per 2.0b market context the core's events use.

Every program carries the private attribute X_POLL_INTERVAL (an ISO 8601 duration): how often the VTN wants
VENs to poll, `vtn-mock serve --poll-interval` (the specification has no poll-frequency field).
"""

from __future__ import annotations

import hashlib
from typing import Any

from ven.openadr3.models import ObjectType, Operation, ProgramRequest
from ven.openadr3.timing import format_duration
from vtn_mock.openadr3.access import Query, matches_asked, visible_targets
from vtn_mock.openadr3.auth import Principal
from vtn_mock.openadr3.context import Context, Render
from vtn_mock.openadr3.objects import Doc
from vtn_mock.openadr3.problems import bad_request, conflict, not_found

POLL_ATTRIBUTE = "X_POLL_INTERVAL"


def _name_for(market_context: str) -> str:
    if len(market_context) <= 128:
        return market_context
    return market_context[:100] + "#" + hashlib.sha256(market_context.encode()).hexdigest()[:16]


class Programs:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def for_market_context(self, market_context: str) -> str:
        """The program holding the core's events of this market context (made on first use)."""
        objects = self._ctx.objects
        found = objects.market_program(market_context)
        if found is not None and objects.get(ObjectType.PROGRAM, found) is not None:
            return found
        name = _name_for(market_context)
        existing = self._by_name(name)
        if existing is not None:
            program_id = str(existing["id"])
        else:
            program_id = self._ctx.new_id("prg")
            objects.put(
                ObjectType.PROGRAM, {**self._ctx.stamp(ObjectType.PROGRAM, program_id), "programName": name}
            )
        objects.link_market_program(market_context, program_id)
        return program_id

    def _by_name(self, name: str) -> Doc | None:
        return next((p for p in self._ctx.objects.all(ObjectType.PROGRAM) if p["programName"] == name), None)

    def _rendered(self, doc: Doc) -> Doc:
        attributes = [a for a in doc.get("attributes") or [] if a.get("type") != POLL_ATTRIBUTE]
        attributes.append({"type": POLL_ATTRIBUTE, "values": [format_duration(self._ctx.poll_interval)]})
        return {**doc, "attributes": attributes}

    def view(self, doc: Doc) -> Render:
        def render(reader: Principal, asked: tuple[str, ...] | None) -> Doc | None:
            if reader.is_bl:
                return self._rendered(doc) if matches_asked(doc.get("targets"), asked) else None
            shown = visible_targets(doc.get("targets"), self._ctx.granted(reader), asked)
            if shown is None:
                return None
            return self._rendered({**doc, "targets": shown or None})

        return render

    def list(self, reader: Principal, query: Query) -> list[Doc]:
        docs = self._ctx.objects.all(ObjectType.PROGRAM)
        shown = [d for d in (self.view(doc)(reader, query.targets) for doc in docs) if d is not None]
        return query.page(shown)

    def get(self, reader: Principal, program_id: str) -> Doc:
        doc = self._ctx.objects.get(ObjectType.PROGRAM, program_id)
        shown = self.view(doc)(reader, None) if doc is not None else None
        if shown is None:
            raise not_found(f"program {program_id!r}")
        return shown

    def exists(self, program_id: str) -> bool:
        return self._ctx.objects.get(ObjectType.PROGRAM, program_id) is not None

    def create(self, body: ProgramRequest) -> Doc:
        if self._by_name(body.program_name) is not None:
            raise conflict(f"a program named {body.program_name!r} exists")
        program_id = self._ctx.new_id("prg")
        return self._save(
            Operation.CREATE, {**self._ctx.stamp(ObjectType.PROGRAM, program_id), **body.wire()}
        )

    def update(self, program_id: str, body: ProgramRequest) -> Doc:
        old = self._ctx.objects.get(ObjectType.PROGRAM, program_id)
        if old is None:
            raise not_found(f"program {program_id!r}")
        other = self._by_name(body.program_name)
        if other is not None and other["id"] != program_id:
            raise conflict(f"a program named {body.program_name!r} exists")
        stamp = self._ctx.stamp(ObjectType.PROGRAM, program_id, old["createdDateTime"])
        return self._save(Operation.UPDATE, {**stamp, **body.wire()})

    def delete(self, program_id: str, in_use: bool) -> Doc:
        doc = self._ctx.objects.get(ObjectType.PROGRAM, program_id)
        if doc is None:
            raise not_found(f"program {program_id!r}")
        if in_use:
            raise bad_request(f"program {program_id!r} still has events")
        self._ctx.objects.delete(ObjectType.PROGRAM, program_id)
        self._ctx.notify(ObjectType.PROGRAM, Operation.DELETE, self.view(doc), program_id)
        return self._rendered(doc)

    def _save(self, operation: Operation, doc: dict[str, Any]) -> Doc:
        self._ctx.objects.put(ObjectType.PROGRAM, doc)
        self._ctx.notify(ObjectType.PROGRAM, operation, self.view(doc), str(doc["id"]))
        return self._rendered(doc)
