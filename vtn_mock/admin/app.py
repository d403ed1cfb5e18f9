"""The admin JSON API (aiohttp): events in, VENs, opt answers, readings and performance out."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from ven.http.assets import is_public
from ven.http.auth import access_middlewares
from vtn_mock.admin.dashboard import add_dashboard
from vtn_mock.admin.models import EventCreate, EventModify, as_body
from vtn_mock.admin.openapi import openapi_document
from vtn_mock.admin.responses import (
    ErrorItem,
    ErrorOut,
    EventCreated,
    EventOut,
    ExcludedVen,
    event_out,
    opt_schedule_out,
    performance_out,
    reading_out,
    ven_out,
)
from vtn_mock.core import EventClosedError, EventNotFoundError, VenSelectionError, VtnCore
from vtn_mock.events import STATUSES
from vtn_mock.performance import event_performance

logger = logging.getLogger("vtn_mock.admin")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class UnprocessableError(Exception):
    def __init__(self, loc: list[str | int], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


def _json(model: BaseModel | list[Any], status: int = HTTPStatus.OK) -> web.Response:
    if isinstance(model, list):
        text = "[" + ",".join(m.model_dump_json() for m in model) + "]"
    else:
        text = model.model_dump_json()
    return web.json_response(text=text, status=status)


def _error(status: int, detail: str | list[ErrorItem]) -> web.Response:
    return _json(ErrorOut(detail=detail), status)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as JSON: 400 bad JSON, 404 unknown, 409 closed event, 422 invalid fields."""
    try:
        return await handler(request)
    except ValidationError as err:
        items = [
            ErrorItem(loc=["body", *e["loc"]], msg=e["msg"], type=e["type"])
            for e in err.errors(include_url=False)
        ]
        return _error(HTTPStatus.UNPROCESSABLE_ENTITY, items)
    except UnprocessableError as err:
        return _error(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            [ErrorItem(loc=["body", *err.loc], msg=err.msg, type="value_error")],
        )
    except EventNotFoundError as err:
        return _error(HTTPStatus.NOT_FOUND, f"no event {err.args[0]!r}")
    except EventClosedError as err:
        return _error(HTTPStatus.CONFLICT, str(err))


class AdminApi:
    def __init__(self, core: VtnCore) -> None:
        self._core = core

    async def _body(self, request: web.Request) -> Any:
        try:
            return json.loads(await request.read())
        except (json.JSONDecodeError, UnicodeDecodeError):
            why = "body is not JSON"
        except RecursionError:  # the decoder recurses per level: 100,000 nested arrays exhaust the stack
            why = "body is nested too deeply"
        raise web.HTTPBadRequest(text=ErrorOut(detail=why).model_dump_json(), content_type="application/json")

    def _ven_ids(self, selector: list[str] | None) -> list[str]:
        try:
            return self._core.select_vens(selector)
        except VenSelectionError as err:
            raise UnprocessableError(["ven"] if err.index is None else ["ven", err.index], str(err)) from None

    def _validated(self, body: Any) -> EventCreate:
        now = self._core.clock.now()
        model = EventCreate.model_validate(body, context={"now": now})
        if model.to_spec().end <= now:
            raise UnprocessableError(["start"], "the event would already be over")
        return model

    async def create_event(self, request: web.Request) -> web.Response:
        model = self._validated(await self._body(request))
        spec = model.to_spec()
        ven_ids = self._ven_ids(model.ven_selector())
        respect = self._core.respect_opt_outs if model.respect_opt_outs is None else model.respect_opt_outs
        opted_out = self._core.opted_out(ven_ids, spec) if respect else {}
        kept = [v for v in ven_ids if v not in opted_out]
        if not kept:
            raise UnprocessableError(["ven"], "every selected VEN has opted out of this event's time")
        event = self._core.create_event(spec, kept)
        logger.info(f"event {event.event_id} created for {list(event.ven_ids)}")
        names = {v.ven_id: v.ven_name for v in self._core.vens()}
        return _json(
            EventCreated(
                event_id=event.event_id,
                modification_number=0,
                status=event.status(self._core.clock.now()),
                vens=list(event.ven_ids),
                excluded=[
                    ExcludedVen(ven_id=v, ven_name=names.get(v), opt_id=opt.opt_id)
                    for v, opt in opted_out.items()
                ],
            ),
            HTTPStatus.CREATED,
        )

    async def list_opts(self, request: web.Request) -> web.Response:
        """Every opt schedule VENs sent (?ven= name or id, ?live=true for the ones not cancelled)."""
        ven_id = None
        if "ven" in request.query:
            ven = self._core.resolve_ven(request.query["ven"])
            if ven is None:
                return _error(HTTPStatus.NOT_FOUND, f"no VEN {request.query['ven']!r}")
            ven_id = ven.ven_id
        live_only = request.query.get("live", "").lower() in ("1", "true", "yes")
        vens = {v.ven_id: v for v in self._core.vens()}
        opts = self._core.opt_schedules(ven_id, live_only=live_only)
        return _json([opt_schedule_out(o, vens) for o in opts])

    async def modify_event(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        patch = EventModify.model_validate(body)
        event = self._core.event(request.match_info["event_id"])
        model = self._validated(as_body(event) | patch.model_dump(exclude_unset=True))
        event = self._core.modify_event(event.event_id, model.to_spec())
        return self._event(event.event_id)

    async def cancel_event(self, request: web.Request) -> web.Response:
        event = self._core.cancel_event(request.match_info["event_id"])
        return self._event(event.event_id)

    async def list_events(self, request: web.Request) -> web.Response:
        wanted = request.query.get("status")
        if wanted is not None and wanted not in STATUSES:
            return _error(
                HTTPStatus.UNPROCESSABLE_ENTITY,
                [
                    ErrorItem(
                        loc=["query", "status"], msg=f"must be one of {', '.join(STATUSES)}", type="enum"
                    )
                ],
            )
        now = self._core.clock.now()
        events = [e for e in self._core.events() if wanted is None or e.status(now) == wanted]
        return _json([self._event_out(e.event_id) for e in events])

    async def show_event(self, request: web.Request) -> web.Response:
        return self._event(request.match_info["event_id"])

    def _event_out(self, event_id: str) -> EventOut:
        event = self._core.event(event_id)
        store = self._core.store
        vens = {v.ven_id: v for v in self._core.vens()}
        return event_out(
            event, self._core.clock.now(), vens, store.latest_opts(event_id), store.deliveries(event_id)
        )

    def _event(self, event_id: str) -> web.Response:
        return _json(self._event_out(event_id))

    async def performance(self, request: web.Request) -> web.Response:
        event = self._core.event(request.match_info["event_id"])
        names = {v.ven_id: v.ven_name for v in self._core.vens()}
        return _json(performance_out(event_performance(event, self._core.store, names)))

    async def list_vens(self, _request: web.Request) -> web.Response:
        return _json([ven_out(v) for v in self._core.vens()])

    async def readings(self, request: web.Request) -> web.Response:
        ven = self._core.resolve_ven(request.match_info["ven"])
        if ven is None:
            return _error(HTTPStatus.NOT_FOUND, f"no VEN {request.match_info['ven']!r}")
        try:
            limit = max(1, min(10_000, int(request.query.get("limit", "100"))))
        except ValueError:
            return _error(
                HTTPStatus.UNPROCESSABLE_ENTITY,
                [ErrorItem(loc=["query", "limit"], msg="not an integer", type="int_parsing")],
            )
        return _json([reading_out(r) for r in self._core.store.latest_readings(ven.ven_id, limit)])

    async def openapi(self, _request: web.Request) -> web.Response:
        return web.json_response(openapi_document())


def _public(path: str) -> bool:
    return path == "/api/openapi.json" or is_public(path)  # the description and the page carry no data


def build_admin_app(
    core: VtnCore, token: str | None, poll_interval: timedelta = timedelta(seconds=10)
) -> web.Application:
    """The admin API and, at GET /, its dashboard; `poll_interval` (the VENs') judges their link."""
    api = AdminApi(core)
    middlewares = [*access_middlewares(token, _public), errors]
    app = web.Application(client_max_size=1_000_000, middlewares=middlewares)
    app.router.add_get("/api/openapi.json", api.openapi)
    app.router.add_get("/api/vens", api.list_vens)
    app.router.add_get("/api/vens/{ven}/readings", api.readings)
    app.router.add_get("/api/opts", api.list_opts)
    app.router.add_post("/api/events", api.create_event)
    app.router.add_get("/api/events", api.list_events)
    app.router.add_get("/api/events/{event_id}", api.show_event)
    app.router.add_patch("/api/events/{event_id}", api.modify_event)
    app.router.add_delete("/api/events/{event_id}", api.cancel_event)
    app.router.add_get("/api/events/{event_id}/performance", api.performance)
    add_dashboard(app, core, poll_interval)
    return app
