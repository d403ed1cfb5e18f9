"""The running VEN's owner-override endpoint (the HTTP form of `ven opt-out`; docs/eiopt.md).

    POST   /api/opt-out          {"event": ID} or {"from": T, "until": T}, optional "site", "note" -> 201
    GET    /api/opt-outs         every override
    DELETE /api/opt-outs/{id}    cancel one

Overrides go into the VEN's database like the CLI's; `wake` (the availability keeper's) is called so
dispatch, TELEMETRY_STATUS and the VTN (oadrCreateOpt) follow at once rather than at the next poll.
The server's bearer-token and same-origin rules (ven.http.auth) cover these routes like the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ven.errors import InputError
from ven.runtime.overrides import describe, record_override
from ven.timeparse import parse_time

if TYPE_CHECKING:
    from ven.availability import Override
    from ven.clock import Clock
    from ven.storage import Store

_FIELDS = {"event", "from", "until", "site", "note"}


def opt_out_routes(
    store: Store, *, sites: Collection[str], clock: Clock, wake: Callable[[], None]
) -> Callable[[web.Application], None]:
    """The routes, for ven.http.server.build_app's `routes`."""

    async def create(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(HTTPStatus.BAD_REQUEST, "body is not JSON")
        try:
            override = _record(store, sites, clock, body)
        except InputError as err:
            return _error(HTTPStatus.UNPROCESSABLE_ENTITY, str(err))
        wake()
        return web.json_response(describe(override), status=HTTPStatus.CREATED)

    async def listed(_request: web.Request) -> web.Response:
        return web.json_response({"overrides": [describe(o) for o in store.overrides.all()]})

    async def cancel(request: web.Request) -> web.Response:
        try:
            override_id = int(request.match_info["override_id"])
        except ValueError:
            return _error(HTTPStatus.NOT_FOUND, "no such override")
        cancelled = store.overrides.cancel(override_id)
        if cancelled is None:
            return _error(HTTPStatus.NOT_FOUND, f"no override {override_id}")
        wake()
        return web.json_response(describe(cancelled))

    def add(app: web.Application) -> None:
        app.router.add_post("/api/opt-out", create)
        app.router.add_get("/api/opt-outs", listed)
        app.router.add_delete("/api/opt-outs/{override_id}", cancel)

    return add


def _record(store: Store, sites: Collection[str], clock: Clock, body: Any) -> Override:
    if not isinstance(body, dict) or not body.keys() <= _FIELDS:
        raise InputError(f"expected an object with {', '.join(sorted(_FIELDS))}")
    if not all(value is None or isinstance(value, str) for value in body.values()):
        raise InputError("every field is a string")
    now = clock.now()
    start, end = body.get("from"), body.get("until")
    if (start is None) != (end is None):
        raise InputError("from and until go together")
    return record_override(
        store,
        sites=sites,
        now=now,
        event_id=body.get("event"),
        start=None if start is None else parse_time(start, now),
        end=None if end is None else parse_time(end, now),
        site=body.get("site"),
        note=body.get("note") or "",
    )


def _error(status: int, detail: str) -> web.Response:
    return web.json_response({"detail": detail}, status=status)
