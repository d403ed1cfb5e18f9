"""Route handlers of the 3.1 API: parse and check the request, call the service, answer JSON."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from pydantic import TypeAdapter

from ven.openadr3.models import (
    AuthServerInfo,
    BlResourceRequest,
    BlVenRequest,
    ClientCredentialResponse,
    EventRequest,
    ProgramRequest,
    ReportRequest,
    ResourceRequest,
    SubscriptionRequest,
    VenRequest,
    VenResourceRequest,
    VenVenRequest,
)
from vtn_mock.openadr3.access import OBJECT_ID, flag, name_param, object_id, query
from vtn_mock.openadr3.app import (
    ANY_ROLE,
    BL_ONLY,
    PREFIX,
    PRINCIPAL,
    VEN_ONLY,
    json_body,
    problem,
    validated,
)
from vtn_mock.openadr3.auth import CredentialsError, Principal, Role
from vtn_mock.openadr3.problems import bad_request
from vtn_mock.openadr3.service import Service

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PROGRAM_REQUEST = TypeAdapter(ProgramRequest)
EVENT_REQUEST = TypeAdapter(EventRequest)
REPORT_REQUEST = TypeAdapter(ReportRequest)
SUBSCRIPTION_REQUEST = TypeAdapter(SubscriptionRequest)
VEN_REQUEST: TypeAdapter[VenVenRequest | BlVenRequest] = TypeAdapter(VenRequest)
RESOURCE_REQUEST: TypeAdapter[VenResourceRequest | BlResourceRequest] = TypeAdapter(ResourceRequest)
Route = tuple[str, str, tuple[Role, ...], Handler]


def _ok(data: Any, status: int = HTTPStatus.OK) -> web.Response:
    return web.json_response(data, status=status)


def _id(request: web.Request, name: str) -> str:
    value = request.match_info[name]
    if not OBJECT_ID.match(value):
        raise bad_request(f"{name} is not an objectID")
    return value


def _who(request: web.Request) -> Principal:
    return request[PRINCIPAL]


def auth_server(service: Service) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        base = service.base_url or f"{request.scheme}://{request.host}{PREFIX}"
        return _ok(AuthServerInfo(token_url=f"{base}/auth/token").wire())

    return handle


def _basic(header: str | None) -> tuple[str, str] | None:
    """client_secret_basic (RFC 6749 2.3.1): credentials in an Authorization: Basic header."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header.removeprefix("Basic ").strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (unquote(client_id), unquote(secret)) if sep else None


def auth_token(service: Service) -> Handler:
    """RFC 6749 client credentials grant; errors carry both the problem fields and RFC 6749's `error`."""

    async def handle(request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            return problem(400, "use application/x-www-form-urlencoded", error="invalid_request")
        form = await request.post()
        grant = form.get("grant_type")
        if grant != "client_credentials":
            return problem(400, "grant_type must be client_credentials", error="unsupported_grant_type")
        given = _basic(request.headers.get("Authorization"))
        client_id, secret = given or (form.get("client_id"), form.get("client_secret"))
        if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id or not secret:
            return problem(400, "client_id and client_secret are required", error="invalid_request")
        try:
            token = service.issuer.issue(client_id, secret)
        except CredentialsError:
            response = problem(401, "unknown client or wrong secret", error="invalid_client")
            response.headers["WWW-Authenticate"] = 'Basic realm="openadr3"'
            return response
        body = ClientCredentialResponse(
            access_token=token.access_token, expires_in=token.expires_in_s, scope=token.scope
        )
        response = _ok(body.model_dump(exclude_none=True))
        response.headers["Cache-Control"] = "no-store"
        return response

    return handle


def table(s: Service) -> list[Route]:  # noqa: C901, PLR0915 (one short handler per operation)
    async def programs(r: web.Request) -> web.Response:
        return _ok(s.programs.list(_who(r), query(r.query)))

    async def program(r: web.Request) -> web.Response:
        return _ok(s.programs.get(_who(r), _id(r, "programID")))

    async def create_program(r: web.Request) -> web.Response:
        body = validated(PROGRAM_REQUEST, await json_body(r))
        return _ok(s.programs.create(body), HTTPStatus.CREATED)

    async def update_program(r: web.Request) -> web.Response:
        program_id = _id(r, "programID")
        return _ok(s.programs.update(program_id, validated(PROGRAM_REQUEST, await json_body(r))))

    async def delete_program(r: web.Request) -> web.Response:
        program_id = _id(r, "programID")
        return _ok(s.programs.delete(program_id, s.events.uses_program(program_id)))

    async def events(r: web.Request) -> web.Response:
        q = r.query
        return _ok(s.events.list(_who(r), query(q), object_id(q, "programID"), flag(q, "active")))

    async def event(r: web.Request) -> web.Response:
        return _ok(s.events.get(_who(r), _id(r, "eventID")))

    async def create_event(r: web.Request) -> web.Response:
        return _ok(s.events.create(validated(EVENT_REQUEST, await json_body(r))), HTTPStatus.CREATED)

    async def update_event(r: web.Request) -> web.Response:
        event_id = _id(r, "eventID")
        return _ok(s.events.update(event_id, validated(EVENT_REQUEST, await json_body(r))))

    async def delete_event(r: web.Request) -> web.Response:
        return _ok(s.events.delete(_who(r), _id(r, "eventID")))

    async def reports(r: web.Request) -> web.Response:
        q = r.query
        found = s.reports.list(
            _who(r), query(q), object_id(q, "programID"), object_id(q, "eventID"), name_param(q, "clientName")
        )
        return _ok(found)

    async def report(r: web.Request) -> web.Response:
        return _ok(s.reports.get(_who(r), _id(r, "reportID")))

    async def create_report(r: web.Request) -> web.Response:
        body = validated(REPORT_REQUEST, await json_body(r))
        return _ok(s.reports.create(_who(r), body), HTTPStatus.CREATED)

    async def update_report(r: web.Request) -> web.Response:
        report_id = _id(r, "reportID")
        return _ok(s.reports.update(_who(r), report_id, validated(REPORT_REQUEST, await json_body(r))))

    async def delete_report(r: web.Request) -> web.Response:
        return _ok(s.reports.delete(_who(r), _id(r, "reportID")))

    async def subscriptions(r: web.Request) -> web.Response:
        q = r.query
        kinds = q.getall("objects", None)
        if kinds is not None and any(
            k not in {"PROGRAM", "EVENT", "REPORT", "SUBSCRIPTION", "VEN", "RESOURCE"} for k in kinds
        ):
            raise bad_request("objects must be object types (PROGRAM, EVENT, ...)")
        found = s.subscriptions.list(
            _who(r), query(q), object_id(q, "programID"), name_param(q, "clientName"), kinds
        )
        return _ok(found)

    async def subscription(r: web.Request) -> web.Response:
        return _ok(s.subscriptions.get(_who(r), _id(r, "subscriptionID")))

    async def create_subscription(r: web.Request) -> web.Response:
        body = validated(SUBSCRIPTION_REQUEST, await json_body(r))
        return _ok(await s.subscriptions.create(_who(r), body), HTTPStatus.CREATED)

    async def update_subscription(r: web.Request) -> web.Response:
        subscription_id = _id(r, "subscriptionID")
        body = validated(SUBSCRIPTION_REQUEST, await json_body(r))
        return _ok(await s.subscriptions.update(_who(r), subscription_id, body))

    async def delete_subscription(r: web.Request) -> web.Response:
        return _ok(s.subscriptions.delete(_who(r), _id(r, "subscriptionID")))

    async def vens(r: web.Request) -> web.Response:
        return _ok(s.parties.list_vens(_who(r), query(r.query), name_param(r.query, "venName")))

    async def ven(r: web.Request) -> web.Response:
        return _ok(s.parties.get_ven(_who(r), _id(r, "venID")))

    async def create_ven(r: web.Request) -> web.Response:
        body = validated(VEN_REQUEST, await json_body(r))
        return _ok(s.parties.create_ven(_who(r), body), HTTPStatus.CREATED)

    async def update_ven(r: web.Request) -> web.Response:
        ven_id = _id(r, "venID")
        return _ok(s.parties.update_ven(_who(r), ven_id, validated(VEN_REQUEST, await json_body(r))))

    async def delete_ven(r: web.Request) -> web.Response:
        return _ok(s.parties.delete_ven(_who(r), _id(r, "venID")))

    async def resources(r: web.Request) -> web.Response:
        q = r.query
        found = s.parties.list_resources(
            _who(r), query(q), name_param(q, "resourceName"), object_id(q, "venID")
        )
        return _ok(found)

    async def resource(r: web.Request) -> web.Response:
        return _ok(s.parties.get_resource(_who(r), _id(r, "resourceID")))

    async def create_resource(r: web.Request) -> web.Response:
        body = validated(RESOURCE_REQUEST, await json_body(r))
        return _ok(s.parties.create_resource(_who(r), body), HTTPStatus.CREATED)

    async def update_resource(r: web.Request) -> web.Response:
        resource_id = _id(r, "resourceID")
        body = validated(RESOURCE_REQUEST, await json_body(r))
        return _ok(s.parties.update_resource(_who(r), resource_id, body))

    async def delete_resource(r: web.Request) -> web.Response:
        return _ok(s.parties.delete_resource(_who(r), _id(r, "resourceID")))

    return [
        ("GET", "/programs", ANY_ROLE, programs),
        ("POST", "/programs", BL_ONLY, create_program),
        ("GET", "/programs/{programID}", ANY_ROLE, program),
        ("PUT", "/programs/{programID}", BL_ONLY, update_program),
        ("DELETE", "/programs/{programID}", BL_ONLY, delete_program),
        ("GET", "/events", ANY_ROLE, events),
        ("POST", "/events", BL_ONLY, create_event),
        ("GET", "/events/{eventID}", ANY_ROLE, event),
        ("PUT", "/events/{eventID}", BL_ONLY, update_event),
        ("DELETE", "/events/{eventID}", BL_ONLY, delete_event),
        ("GET", "/reports", ANY_ROLE, reports),
        ("POST", "/reports", VEN_ONLY, create_report),
        ("GET", "/reports/{reportID}", ANY_ROLE, report),
        ("PUT", "/reports/{reportID}", VEN_ONLY, update_report),
        ("DELETE", "/reports/{reportID}", VEN_ONLY, delete_report),
        ("GET", "/subscriptions", ANY_ROLE, subscriptions),
        ("POST", "/subscriptions", ANY_ROLE, create_subscription),
        ("GET", "/subscriptions/{subscriptionID}", ANY_ROLE, subscription),
        ("PUT", "/subscriptions/{subscriptionID}", ANY_ROLE, update_subscription),
        ("DELETE", "/subscriptions/{subscriptionID}", ANY_ROLE, delete_subscription),
        ("GET", "/vens", ANY_ROLE, vens),
        ("POST", "/vens", ANY_ROLE, create_ven),
        ("GET", "/vens/{venID}", ANY_ROLE, ven),
        ("PUT", "/vens/{venID}", ANY_ROLE, update_ven),
        ("DELETE", "/vens/{venID}", ANY_ROLE, delete_ven),
        ("GET", "/resources", ANY_ROLE, resources),
        ("POST", "/resources", ANY_ROLE, create_resource),
        ("GET", "/resources/{resourceID}", ANY_ROLE, resource),
        ("PUT", "/resources/{resourceID}", ANY_ROLE, update_resource),
        ("DELETE", "/resources/{resourceID}", ANY_ROLE, delete_resource),
    ]
