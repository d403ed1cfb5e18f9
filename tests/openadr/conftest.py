"""A real openleadr VTN on 127.0.0.1 per test, plus builders for openleadr-shaped event dicts.

openleadr keeps `ven_lookup` and the message factory on the VTNService class, so every server here passes
its own `ven_lookup` (the newest server's wins) and tests never run two servers at once.
"""

from __future__ import annotations

import asyncio
import socket
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from openleadr import OpenADRServer, errors
from openleadr.service import OptService

from ven.events import Answer
from ven.openadr.client import Backoff, VenClient

FAST_POLL = 0.02  # seconds between polls in tests, whatever the VTN asks


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Vtn:
    """A running openleadr OpenADRServer and what it saw."""

    port: int
    vtn_id: str = "VTN"
    server: Any = None
    known: dict[str, str] = field(default_factory=dict)  # ven_id -> registration_id
    registrations: list[dict[str, Any]] = field(default_factory=list)
    created_events: list[dict[str, Any]] = field(default_factory=list)
    registered_items: list[dict[str, Any]] = field(default_factory=list)
    report_values: dict[str, list[float]] = field(default_factory=dict)
    report_request: tuple[timedelta, timedelta] | None = None  # (sampling, report interval)
    request_status: bool = False  # also request TELEMETRY_STATUS (its status payloads: see below)
    updates: list[dict[str, Any]] = field(default_factory=list)  # every oadrUpdateReport payload
    opts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (message type, payload)
    opt_answer_code: int | None = None  # answer EiOpt with this error code instead of acknowledging
    pending_poll: tuple[str, dict[str, Any]] | None = None  # the answer to the next oadrPoll
    created_reports: list[dict[str, Any]] = field(default_factory=list)  # every oadrCreatedReport
    bodies: list[bytes] = field(default_factory=list)  # every message a VEN posted
    hostile_polls: int = 0
    requests: list[str] = field(default_factory=list)
    max_body_bytes: int | None = None  # refuse larger bodies with 413, as a VTN with a size limit does
    too_large: int = 0  # bodies refused for their size

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/OpenADR2/Simple/2.0b"

    def server_settings(self) -> dict[str, Any]:
        """Extra OpenADRServer arguments (TLS, signing) for subclasses."""
        return {}

    def middleware(self) -> Callable[..., Any]:
        return self._middleware

    async def start(self) -> None:
        with warnings.catch_warnings():  # openleadr stores a str key in the aiohttp app: not ours to fix
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            self.server = OpenADRServer(
                vtn_id=self.vtn_id,
                http_port=self.port,
                http_host="127.0.0.1",
                ven_lookup=self._lookup,
                requested_poll_freq=timedelta(seconds=1),
                **self.server_settings(),
            )
        self.server.add_handler("on_create_party_registration", self._register)
        self.server.add_handler("on_register_report", self._register_report)
        service = self.server.services["event_service"]
        original = service.handlers["oadrCreatedEvent"]

        async def created_event(payload: dict[str, Any]) -> Any:
            self.created_events.append(payload)
            return await original(payload)

        service.handlers["oadrCreatedEvent"] = created_event
        reports = self.server.services["report_service"]
        update = reports.handlers["oadrUpdateReport"]

        async def update_report(payload: dict[str, Any]) -> Any:
            self.updates.append(payload)
            # openleadr's callbacks read report_payload['value']: a status payload has none (KeyError,
            # HTTP 500). Such reports are recorded here and acknowledged without its callbacks.
            if any(
                "value" not in i["report_payload"] for r in payload["reports"] for i in r.get("intervals", [])
            ):
                return "oadrUpdatedReport", {}
            return await update(payload)

        reports.handlers["oadrUpdateReport"] = update_report
        created = reports.handlers["oadrCreatedReport"]

        async def created_report(payload: dict[str, Any]) -> Any:
            self.created_reports.append(payload)
            return await created(payload)

        reports.handlers["oadrCreatedReport"] = created_report
        polls = self.server.services["poll_service"]
        poll = polls.handlers["oadrPoll"]

        async def on_poll(payload: dict[str, Any]) -> Any:
            if self.pending_poll is not None:
                message, self.pending_poll = self.pending_poll, None
                return message
            return await poll(payload)

        polls.handlers["oadrPoll"] = on_poll
        self._add_opt_service()
        self.server.app.middlewares.append(self.middleware())
        await self.server.run()

    def _add_opt_service(self) -> None:
        """openleadr's own OptService (a stub: no route, handlers that answer nothing) given handlers
        that record what arrives, and its route: the stock VTN as a peer for our oadrCreateOpt."""
        service = OptService(self.vtn_id)

        async def create_opt(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
            self.opts.append(("oadrCreateOpt", payload))
            if self.opt_answer_code is not None:
                raise errors.InvalidIdError("refused by the test")
            return "oadrCreatedOpt", {"opt_id": payload["opt_id"]}

        async def cancel_opt(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
            self.opts.append(("oadrCancelOpt", payload))
            return "oadrCanceledOpt", {"opt_id": payload["opt_id"]}

        service.handlers["oadrCreateOpt"] = create_opt
        service.handlers["oadrCancelOpt"] = cancel_opt
        self.server.app.router.add_post(f"{self.server.http_path_prefix}/EiOpt", service.handler)

    async def stop(self) -> None:
        await self.server.stop()

    def add_event(self, ven_id: str, **kwargs: Any) -> asyncio.Future[str]:
        """Queue an event; the future resolves to the VEN's optType."""
        opted: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def callback(ven_id: str, event_id: str, opt_type: str) -> None:
            if not opted.done():
                opted.set_result(opt_type)

        start = kwargs.pop("start", datetime.now(UTC) + timedelta(minutes=5))
        values = kwargs.pop("values", [-500.0])
        intervals = [
            {
                "dtstart": start + timedelta(minutes=15 * k),
                "duration": timedelta(minutes=15),
                "signal_payload": value,
            }
            for k, value in enumerate(values)
        ]
        kwargs.setdefault("signal_name", "LOAD_DISPATCH")
        kwargs.setdefault("signal_type", "delta")
        self.server.add_event(ven_id=ven_id, intervals=intervals, callback=callback, **kwargs)
        return opted

    def _lookup(self, ven_id: str) -> dict[str, Any] | None:
        if ven_id not in self.known:
            return None
        return {"ven_id": ven_id, "registration_id": self.known[ven_id], "fingerprint": None}

    def _register(self, payload: dict[str, Any]) -> tuple[str, str]:
        self.registrations.append(payload)
        ven_id = payload.get("ven_id") or f"ven-{len(self.registrations)}"
        registration_id = payload.get("registration_id") or f"reg-{len(self.registrations)}"
        self.known[ven_id] = registration_id
        return ven_id, registration_id

    def _register_report(  # noqa: PLR0917  # openleadr calls it positionally by these names
        self,
        ven_id: str,
        resource_id: str,
        measurement: str,
        unit: str | None,
        scale: str | None,
        min_sampling_interval: timedelta,
        max_sampling_interval: timedelta,
    ) -> tuple[Any, ...] | None:
        self.registered_items.append(
            {"resource_id": resource_id, "measurement": measurement, "unit": unit, "scale": scale}
        )
        if self.report_request is None or (measurement == "Status" and not self.request_status):
            return None
        key = f"{resource_id}/{measurement}/{len(self.registered_items)}"

        def receive(values: list[tuple[datetime, float]]) -> None:
            self.report_values.setdefault(key, []).extend(value for _, value in values)

        return (receive, *self.report_request)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        self.requests.append(request.path.rsplit("/", 1)[-1])
        body = await request.read()
        if self.max_body_bytes is not None and len(body) > self.max_body_bytes:
            self.too_large += 1
            return web.Response(status=413, text="body too large")
        self.bodies.append(body)
        if self.hostile_polls and request.path.endswith("/OadrPoll"):
            self.hostile_polls -= 1
            return web.Response(body=BILLION_LAUGHS, content_type="application/xml")
        response: web.StreamResponse = await handler(request)
        return response


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><oadrPayload>&lol9;</oadrPayload>"
)


@pytest.fixture
async def vtn() -> AsyncIterator[Vtn]:
    server = Vtn(free_port())
    await server.start()
    yield server
    await server.stop()


async def fast_sleep(_seconds: float) -> None:
    await asyncio.sleep(FAST_POLL)


async def opt_in(_event: Any) -> Answer:
    return Answer.opt_in()


def make_client(url: str, **kwargs: Any) -> VenClient:
    kwargs.setdefault("on_event", opt_in)
    kwargs.setdefault("sleep", fast_sleep)
    kwargs.setdefault("backoff", Backoff(attempts=3))
    return VenClient("test-ven", url, **kwargs)


@pytest.fixture
async def started() -> AsyncIterator[list[VenClient]]:
    """Clients a test starts; each is stopped afterwards."""
    clients: list[VenClient] = []
    yield clients
    for client in clients:
        await client.stop()


def raw_event(**overrides: Any) -> dict[str, Any]:
    """One event as openleadr's parse_message hands it over (LOAD_DISPATCH delta, 2 x 15 min)."""
    start = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    signal = {
        "signal_name": "LOAD_DISPATCH",
        "signal_type": "delta",
        "signal_id": "s1",
        "intervals": [
            {"duration": timedelta(minutes=15), "uid": 0, "signal_payload": -500.0},
            {"duration": timedelta(minutes=15), "uid": 1, "signal_payload": -250.0},
        ],
    }
    event: dict[str, Any] = {
        "event_descriptor": {
            "event_id": "e1",
            "modification_number": 0,
            "priority": 1,
            "market_context": "oadr://ctx",
            "created_date_time": start - timedelta(hours=1),
            "event_status": "far",
            "test_event": False,
        },
        "active_period": {"dtstart": start, "duration": timedelta(minutes=30)},
        "event_signals": [signal],
        "targets": [{"ven_id": "ven-1"}],
        "response_required": "always",
    }
    for key, value in overrides.items():
        if key in event["event_descriptor"]:
            event["event_descriptor"][key] = value
        elif key in ("signal_name", "signal_type", "measurement", "intervals"):
            signal[key] = value
        else:
            event[key] = value
    return event


def signal_dict(name: str, type_: str, values: list[float], minutes: int = 15, **extra: Any) -> dict:
    return {
        "signal_name": name,
        "signal_type": type_,
        "signal_id": f"{name}-{type_}",
        "intervals": [
            {"duration": timedelta(minutes=minutes), "uid": k, "signal_payload": v}
            for k, v in enumerate(values)
        ],
        **extra,
    }
