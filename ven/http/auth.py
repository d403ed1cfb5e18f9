"""Who may use the dashboards and APIs: one bearer-token scheme, for the VEN's HTTP and the VTN's admin API.

Off loopback a token is required (refused at start without one); on loopback none is, and then two browser
attacks on local servers are closed instead: DNS rebinding (a Host header that is not a loopback name is
refused) and cross-site writes (a non-GET request whose Origin is not the page's own is refused).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from ven.errors import InputError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address, IPv6 with or without brackets) is this machine only."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_token(
    env_var: str, token_file: str | Path | None, host: str, *, what: str, file_setting: str
) -> str | None:
    """The bearer token (environment first, then `token_file`); InputError when `host` is not loopback
    and there is none. `what` names the server and `file_setting` the file's key in the messages."""
    token = os.environ.get(env_var) or None
    if token is None and token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip() or None
        except OSError as err:
            raise InputError(f"{file_setting} {token_file}: {err.strerror}") from None
    if token is None and not is_loopback(host):
        raise InputError(f"{what} on {host} needs a bearer token: set {env_var} or {file_setting}")
    return token


def _refusal(status: HTTPStatus, detail: str) -> web.Response:
    return web.json_response({"detail": detail}, status=status)


def bearer_auth(token: str | None, public: Callable[[str], bool] = lambda _path: False) -> Middleware:
    """Require `Authorization: Bearer <token>` when a token is set, except on paths `public` accepts
    (constant-time compare; the token is never logged)."""
    expected = f"Bearer {token}".encode() if token else b""

    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token and not public(request.path):
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                response = _refusal(HTTPStatus.UNAUTHORIZED, "missing or wrong bearer token")
                response.headers["WWW-Authenticate"] = "Bearer"
                return response
        return await handler(request)

    return auth


def _host_name(netloc: str) -> str:
    """The host of a Host header or an Origin's netloc, without port and brackets."""
    return (urlsplit(f"//{netloc}").hostname or "").lower()


@web.middleware
async def loopback_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """For servers without a token (loopback only): refuse DNS-rebound and cross-site requests."""
    host = request.headers.get("Host", "")
    if not is_loopback(_host_name(host)):
        return _refusal(HTTPStatus.FORBIDDEN, "this server answers loopback host names only")
    origin = request.headers.get("Origin")
    if request.method not in _SAFE_METHODS and origin is not None and urlsplit(origin).netloc != host:
        return _refusal(HTTPStatus.FORBIDDEN, "cross-site request refused")
    return await handler(request)


def access_middlewares(
    token: str | None, public: Callable[[str], bool] = lambda _path: False
) -> list[Middleware]:
    """The bearer check when a token is set, else the loopback guard."""
    return [bearer_auth(token, public)] if token else [loopback_guard]
