"""The CSMS websocket endpoint: ws[s]://HOST:PORT/<charger_id>, subprotocols ocpp2.1 and ocpp2.0.1.

Checked before the upgrade (HTTP answer, no websocket): the charger id must be in the fleet (404
otherwise: an unenrolled station is refused, not served as unmanaged) and, with basic auth configured
(security profile 1, or 2 with TLS), `Authorization: Basic` must carry that charger id and its password
(401 otherwise). A station offering neither subprotocol completes the handshake without one and is closed
at once with 1002, as OCPP-J prescribes.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import ssl
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.frames import CloseCode
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from ven.chargers.ocpp.wire import SUBPROTOCOLS, OcppVersion

logger = logging.getLogger(__name__)

StationHandler = Callable[[ServerConnection, str, OcppVersion], Awaitable[None]]


def charger_id_of(path: str) -> str:
    """The charger id in a request path: its last segment, URL-decoded ('' when there is none)."""
    return unquote(urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1])


def basic_auth_ok(headers: Headers, charger_id: str, passwords: Mapping[str, str]) -> bool:
    """HTTP Basic: user = the charger id, password = that charger's (compared in constant time)."""
    scheme, _, encoded = headers.get("Authorization", "").partition(" ")
    expected = passwords.get(charger_id)
    if scheme.lower() != "basic" or expected is None:
        return False
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    same_user = hmac.compare_digest(user.encode(), charger_id.encode())
    return hmac.compare_digest(password.encode(), expected.encode()) and same_user


class CsmsServer:
    """The websocket server; each accepted station connection is handed to `handler` until it closes."""

    def __init__(
        self,
        host: str,
        port: int,
        charger_ids: Collection[str],
        handler: StationHandler,
        *,
        basic_auth: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._host, self._port = host, port
        self._charger_ids = frozenset(charger_ids)
        self._handler = handler
        self._passwords = None if basic_auth is None else dict(basic_auth)
        self._ssl = ssl_context
        self._server: Server | None = None

    async def start(self) -> None:
        self._server = await serve(
            self._connection,
            self._host,
            self._port,
            subprotocols=[Subprotocol(v.value) for v in SUBPROTOCOLS],
            select_subprotocol=_select_subprotocol,
            process_request=self._process_request,
            ssl=self._ssl,
            compression=None,  # OCPP frames are small; deflate costs CPU on every frame at 1,000 stations
        )

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        if self._server is None:
            raise RuntimeError("the CSMS is not started")
        port: int = next(iter(self._server.sockets)).getsockname()[1]
        return port

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        charger_id = charger_id_of(request.path)
        if charger_id not in self._charger_ids:
            logger.warning("refused connection for unknown charger id %r", charger_id)
            return connection.respond(HTTPStatus.NOT_FOUND, "unknown charging station\n")
        if self._passwords is not None and not basic_auth_ok(request.headers, charger_id, self._passwords):
            logger.warning("refused connection for %r: bad or missing basic auth", charger_id)
            response = connection.respond(HTTPStatus.UNAUTHORIZED, "authentication required\n")
            response.headers["WWW-Authenticate"] = 'Basic realm="ocpp", charset="UTF-8"'
            return response
        return None

    async def _connection(self, connection: ServerConnection) -> None:
        if connection.subprotocol is None:
            await connection.close(CloseCode.PROTOCOL_ERROR, "subprotocol ocpp2.1 or ocpp2.0.1 required")
            return
        request = connection.request
        if request is None:  # unreachable after a completed handshake
            return
        await self._handler(connection, charger_id_of(request.path), OcppVersion(connection.subprotocol))


def _select_subprotocol(_connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
    for version in SUBPROTOCOLS:
        if version.value in offered:
            return Subprotocol(version.value)
    return None  # no shared subprotocol: handshake completes without one, then the handler closes
