"""An aiohttp middleware in front of openleadr's handlers: hostile or broken input never reaches its parser.

Order of checks: declared size, content type, body size while reading, then `check_xml` (no DOCTYPE, entity
declaration, processing instruction or non-UTF-8 encoding) — all before lxml sees a byte. openleadr answers
some malformed messages with HTTP 500 (its content-type error path raises a TypeError; schema-valid but
incomplete messages raise KeyErrors in its services); those become 400 here, so a VEN always gets a 4xx.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web
from aiohttp.typedefs import Middleware

from ven.openadr.xmlguard import HostileXMLError, check_xml

logger = logging.getLogger("vtn_mock.guard")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _refuse(status: HTTPStatus, why: str) -> web.Response:
    return web.Response(status=status, text=why, content_type="text/plain")


async def _refusal(request: web.Request, max_body_bytes: int) -> web.Response | None:
    """Why this request must not reach openleadr, as the response to send; None if it may."""
    peer = request.remote or "?"
    if request.content_length is not None and request.content_length > max_body_bytes:
        logger.warning(f"refused {request.path} from {peer}: {request.content_length} bytes declared")
        return _refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {max_body_bytes} bytes")
    if not request.headers.get("Content-Type", "").lower().startswith("application/xml"):
        return _refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/xml")
    try:
        body = await request.read()  # aiohttp caches it; openleadr's own read() returns these bytes
    except web.HTTPRequestEntityTooLarge:
        logger.warning(f"refused {request.path} from {peer}: body over {max_body_bytes} bytes")
        return _refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {max_body_bytes} bytes")
    try:
        check_xml(body, max_body_bytes)
    except HostileXMLError as err:
        logger.warning(f"refused {request.path} from {peer}: {err.reason}")
        return _refuse(HTTPStatus.BAD_REQUEST, f"refused: {err.reason}")
    return None


def xml_guard(max_body_bytes: int, prefix: str = "/") -> Middleware:
    """The middleware for an OpenADR endpoint that accepts bodies of at most `max_body_bytes`; it guards
    paths under `prefix` (the OpenADR 3.1 JSON API shares the port)."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(prefix):
            return await handler(request)
        refusal = await _refusal(request, max_body_bytes)
        if refusal is not None:
            return refusal
        try:
            response = await handler(request)
        except web.HTTPException:
            raise
        except Exception:  # a bug or an openleadr failure must not take the endpoint down
            logger.exception(f"handling {request.path} from {request.remote} failed")
            return _refuse(HTTPStatus.BAD_REQUEST, "message could not be processed")
        if response.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            # openleadr already logged the cause; the VEN's message was not processable.
            logger.warning(f"openleadr answered {response.status} to {request.path}; sending 400 instead")
            return _refuse(HTTPStatus.BAD_REQUEST, "message could not be processed")
        return response

    return guard
