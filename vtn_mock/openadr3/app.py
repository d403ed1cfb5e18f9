"""The 3.1 HTTP API (aiohttp), mounted under /openadr3/3.1.0 on the OpenADR port.

Every refusal is the specification's problem object with a 4xx status: unknown routes 404, bad JSON, wrong
types, missing required fields, bad query parameters or a body over the size limit 400 (openadr3.yaml has no
413), no or bad token 401, a role without the scope 403, a wrong method 405. A failure of our own is a
logged 500 problem.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, TypeVar

from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from ven.openadr3.models import NotifiersResponse, Problem
from vtn_mock.openadr3.auth import Principal, Role
from vtn_mock.openadr3.problems import ProblemError, bad_request
from vtn_mock.openadr3.service import Service

logger = logging.getLogger("vtn_mock.openadr3")
PREFIX = "/openadr3/3.1.0"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PRINCIPAL = web.RequestKey("principal", Principal)
BL_ONLY = (Role.BL,)
VEN_ONLY = (Role.VEN,)
ANY_ROLE = (Role.VEN, Role.BL)
M = TypeVar("M")


def problem(status: int, detail: str, **extra: str) -> web.Response:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = Problem(title=title, status=status, detail=detail).wire() | extra
    return web.json_response(body, status=status)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("numbers must be finite")
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def json_body(request: web.Request) -> bytes:
    """The body, once it is known to be JSON with finite numbers and a sane depth."""
    if request.content_type != "application/json":
        raise bad_request("Content-Type must be application/json")
    raw = await request.read()
    try:
        json.loads(raw, parse_float=_finite, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError) as err:  # JSONDecodeError is a ValueError
        raise bad_request(f"body is not JSON ({err})") from None
    except RecursionError:  # the decoder recurses per nesting level
        raise bad_request("body is nested too deeply") from None
    return raw


def validated(adapter: TypeAdapter[M], raw: bytes) -> M:
    """A JSON body as the adapter's type, strictly: JSON types as the specification has them ("5" is no
    integer, true no number); 400 naming the first bad field."""
    try:
        return adapter.validate_json(raw, strict=True)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise bad_request(f"{where}: {first['msg']}") from None
    except RecursionError:
        raise bad_request("body is nested too deeply") from None


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ProblemError as err:
        return problem(err.status, err.detail)
    except web.HTTPRequestEntityTooLarge as err:  # 400: openadr3.yaml documents no 413
        return problem(HTTPStatus.BAD_REQUEST, f"body too large ({err.text})")
    except web.HTTPMethodNotAllowed as err:
        response = problem(err.status, f"{request.method} is not allowed here")
        response.headers["Allow"] = ", ".join(sorted(err.allowed_methods))
        return response
    except web.HTTPException as err:
        if err.status >= HTTPStatus.BAD_REQUEST:
            return problem(err.status, err.reason)
        raise
    except Exception:
        logger.exception(f"{request.method} {request.path} failed")
        return problem(HTTPStatus.INTERNAL_SERVER_ERROR, "the VTN failed to handle this request")


def guarded(service: Service, roles: tuple[Role, ...], handler: Handler) -> Handler:
    """`handler` behind the bearer token check: 401 without a valid token, 403 for a role without scope."""

    async def handle(request: web.Request) -> web.StreamResponse:
        principal = service.issuer.principal(request.headers.get("Authorization"))
        if principal is None:
            response = problem(HTTPStatus.UNAUTHORIZED, "a valid bearer token is required")
            response.headers["WWW-Authenticate"] = 'Bearer realm="openadr3"'
            return response
        if principal.role not in roles:
            return problem(HTTPStatus.FORBIDDEN, f"a {principal.role} client may not do this")
        request[PRINCIPAL] = principal
        return await handler(request)

    return handle


def build_openadr3_app(service: Service) -> web.Application:
    """The sub-application; mount it with `app.add_subapp(PREFIX, ...)`."""
    from vtn_mock.openadr3 import routes  # noqa: PLC0415 (routes import this module's helpers)

    app = web.Application(middlewares=[problems])
    router = app.router
    router.add_get("/auth/server", routes.auth_server(service))
    router.add_post("/auth/token", routes.auth_token(service))

    async def notifiers(_request: web.Request) -> web.Response:
        return web.json_response(NotifiersResponse().wire())

    async def no_mqtt(_request: web.Request) -> web.Response:
        return problem(HTTPStatus.NOT_FOUND, "this VTN offers no MQTT notifier (GET /notifiers)")

    router.add_get("/notifiers", guarded(service, ANY_ROLE, notifiers))
    router.add_get("/notifiers/mqtt/{tail:.*}", guarded(service, ANY_ROLE, no_mqtt))
    for method, path, roles, handler in routes.table(service):
        router.add_route(method, path, guarded(service, roles, handler))
    return app
