"""3.1 vens and resources. A ven object is a VEN of the core (listed by the admin API's /api/vens under its
venName; its id is the core's venID), so events sent to it reach it whichever protocol it speaks.

VEN clients create and change their own ven (VEN_VEN_REQUEST) and resources (VEN_RESOURCE_REQUEST) and may
not grant themselves targets; BL clients create them for a clientID, with targets (BL_*_REQUEST). Registered
2.0b VENs appear to BL clients as ven objects whose clientID is their venID. A venName may not change.
"""

from __future__ import annotations

from ven.openadr3.models import (
    BlResourceRequest,
    BlVenRequest,
    ObjectType,
    Operation,
    VenResourceRequest,
    VenVenRequest,
)
from vtn_mock.openadr3.access import Query
from vtn_mock.openadr3.auth import Principal
from vtn_mock.openadr3.context import Context
from vtn_mock.openadr3.objects import Doc
from vtn_mock.openadr3.problems import bad_request, conflict, forbidden, not_found
from vtn_mock.store import VenRecord


def _targets_match(doc: Doc, asked: tuple[str, ...] | None) -> bool:
    return asked is None or bool(set(doc.get("targets") or []) & set(asked))


class Parties:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # vens
    def _legacy(self, ven: VenRecord) -> Doc:
        when = (ven.registered_at or self._ctx.now()).isoformat().replace("+00:00", "Z")
        return {
            "id": ven.ven_id,
            "createdDateTime": when,
            "modificationDateTime": when,
            "objectType": "VEN",
            "clientID": ven.ven_id,
            "venName": ven.ven_name,
        }

    def _all_vens(self, reader: Principal) -> list[Doc]:
        if not reader.is_bl:
            return self._ctx.client_vens(reader.client_id)
        docs = {str(d["id"]): d for d in self._ctx.objects.all(ObjectType.VEN)}
        for ven in self._ctx.core.vens():
            if ven.ven_id not in docs and ven.registration_id is not None:
                docs[ven.ven_id] = self._legacy(ven)
        return list(docs.values())

    def list_vens(self, reader: Principal, query: Query, ven_name: str | None) -> list[Doc]:
        docs = [
            d
            for d in self._all_vens(reader)
            if ven_name in (None, d["venName"]) and _targets_match(d, query.targets)
        ]
        return query.page(docs)

    def get_ven(self, reader: Principal, ven_id: str) -> Doc:
        found = next((d for d in self._all_vens(reader) if d["id"] == ven_id), None)
        if found is None:
            raise not_found(f"ven {ven_id!r}")
        return found

    def create_ven(self, reader: Principal, body: VenVenRequest | BlVenRequest) -> Doc:
        if isinstance(body, BlVenRequest) and not reader.is_bl:
            raise forbidden("only business logic may create a ven with a clientID and targets")
        if isinstance(body, VenVenRequest) and reader.is_bl:
            raise bad_request("business logic creates vens with objectType BL_VEN_REQUEST and a clientID")
        existing = next((v for v in self._ctx.core.vens() if v.ven_name == body.ven_name), None)
        if existing is not None and (
            existing.registration_id is not None or self._ctx.objects.get(ObjectType.VEN, existing.ven_id)
        ):
            # openadr3.yaml lists no 409 for POST /vens (the Definition does for POST): 400.
            raise bad_request(f"a ven named {body.ven_name!r} exists")
        ven = self._ctx.core.register_client(body.ven_name)
        client_id = body.client_id if isinstance(body, BlVenRequest) else reader.client_id
        doc = {**self._ctx.stamp(ObjectType.VEN, ven.ven_id), **body.wire(), "clientID": client_id}
        return self._save(ObjectType.VEN, Operation.CREATE, doc)

    def update_ven(self, reader: Principal, ven_id: str, body: VenVenRequest | BlVenRequest) -> Doc:
        old = self._ctx.objects.get(ObjectType.VEN, ven_id)
        if old is None or not (reader.is_bl or old["clientID"] == reader.client_id):
            raise not_found(f"ven {ven_id!r}")
        if isinstance(body, BlVenRequest) and not reader.is_bl:
            raise forbidden("only business logic may set a ven's clientID and targets")
        if body.ven_name != old["venName"]:
            raise conflict("a venName cannot change")
        kept = {"targets": old.get("targets")} if isinstance(body, VenVenRequest) else {}
        client_id = body.client_id if isinstance(body, BlVenRequest) else old["clientID"]
        stamp = self._ctx.stamp(ObjectType.VEN, ven_id, old["createdDateTime"])
        doc = {**stamp, **body.wire(), **kept, "clientID": client_id}
        return self._save(ObjectType.VEN, Operation.UPDATE, {k: v for k, v in doc.items() if v is not None})

    def delete_ven(self, reader: Principal, ven_id: str) -> Doc:
        old = self._ctx.objects.get(ObjectType.VEN, ven_id)
        if old is None or not (reader.is_bl or old["clientID"] == reader.client_id):
            raise not_found(f"ven {ven_id!r}")
        for resource in self._ctx.objects.all(ObjectType.RESOURCE):
            if resource["venID"] == ven_id:
                self._delete(ObjectType.RESOURCE, resource)
        self._ctx.core.cancel_registration(ven_id)
        return self._delete(ObjectType.VEN, old)

    # resources
    def _readable(self, reader: Principal, doc: Doc) -> bool:
        return reader.is_bl or doc["clientID"] == reader.client_id

    def list_resources(
        self, reader: Principal, query: Query, resource_name: str | None, ven_id: str | None
    ) -> list[Doc]:
        docs = [
            d
            for d in self._ctx.objects.all(ObjectType.RESOURCE)
            if self._readable(reader, d)
            and resource_name in (None, d["resourceName"])
            and ven_id in (None, d["venID"])
            and _targets_match(d, query.targets)
        ]
        return query.page(docs)

    def get_resource(self, reader: Principal, resource_id: str) -> Doc:
        doc = self._ctx.objects.get(ObjectType.RESOURCE, resource_id)
        if doc is None or not self._readable(reader, doc):
            raise not_found(f"resource {resource_id!r}")
        return doc

    def _checked(
        self, reader: Principal, body: VenResourceRequest | BlResourceRequest, resource_id: str | None
    ) -> str:
        """The clientID the resource gets; refuses what the reader may not write."""
        if isinstance(body, BlResourceRequest) and not reader.is_bl:
            raise forbidden("only business logic may set a resource's clientID and targets")
        if isinstance(body, VenResourceRequest) and reader.is_bl:
            raise bad_request("business logic writes resources with objectType BL_RESOURCE_REQUEST")
        ven = self._ctx.objects.get(ObjectType.VEN, body.ven_id)
        if ven is None or not (reader.is_bl or ven["clientID"] == reader.client_id):
            raise not_found(f"ven {body.ven_id!r}")
        for other in self._ctx.objects.all(ObjectType.RESOURCE):
            same = other["venID"] == body.ven_id and other["resourceName"] == body.resource_name
            if same and other["id"] != resource_id:
                raise conflict(f"ven {body.ven_id!r} has a resource named {body.resource_name!r}")
        return body.client_id if isinstance(body, BlResourceRequest) else reader.client_id

    def create_resource(self, reader: Principal, body: VenResourceRequest | BlResourceRequest) -> Doc:
        client_id = self._checked(reader, body, None)
        resource_id = self._ctx.new_id("res")
        doc = {**self._ctx.stamp(ObjectType.RESOURCE, resource_id), **body.wire(), "clientID": client_id}
        return self._save(ObjectType.RESOURCE, Operation.CREATE, doc)

    def update_resource(
        self, reader: Principal, resource_id: str, body: VenResourceRequest | BlResourceRequest
    ) -> Doc:
        old = self.get_resource(reader, resource_id)
        client_id = self._checked(reader, body, resource_id)
        kept = {"targets": old.get("targets")} if isinstance(body, VenResourceRequest) else {}
        stamp = self._ctx.stamp(ObjectType.RESOURCE, resource_id, old["createdDateTime"])
        doc = {**stamp, **body.wire(), **kept, "clientID": client_id}
        return self._save(
            ObjectType.RESOURCE, Operation.UPDATE, {k: v for k, v in doc.items() if v is not None}
        )

    def delete_resource(self, reader: Principal, resource_id: str) -> Doc:
        return self._delete(ObjectType.RESOURCE, self.get_resource(reader, resource_id))

    # both
    def _save(self, kind: ObjectType, operation: Operation, doc: Doc) -> Doc:
        doc["objectType"] = kind.value
        self._ctx.objects.put(kind, doc)
        self._ctx.notify(kind, operation, self._ctx.owner_view(doc), None)
        return doc

    def _delete(self, kind: ObjectType, doc: Doc) -> Doc:
        self._ctx.objects.delete(kind, str(doc["id"]))
        self._ctx.notify(kind, Operation.DELETE, self._ctx.owner_view(doc), None)
        return doc
