"""A scripted OpenADR 3.1 VTN on 127.0.0.1 for the VEN's client and link tests: each route answers what
the test's Script says (tokens, refusals, pages, reports), and records what it was sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ven.openadr3.client import (
    OAuthSettings,
    Vtn3Client,
)

T0 = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)
Handler = Callable[[web.Request], web.StreamResponse]


@dataclass
class Script:
    """What the fake VTN answers; every request is logged as (method, path, token)."""

    tokens_issued: int = 0
    lifetime_s: int = 3600
    refuse_token: bool = False
    expire_tokens: set[str] = field(default_factory=set)
    reports_status: list[int] = field(default_factory=list)  # answers to the next report writes
    log: list[tuple[str, str, str | None]] = field(default_factory=list)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    vens: list[dict[str, Any]] = field(default_factory=list)


def meta(object_type: str, object_id: str) -> dict[str, str]:
    return {
        "id": object_id,
        "createdDateTime": "2026-07-01T12:00:00Z",
        "modificationDateTime": "2026-07-01T12:00:00Z",
        "objectType": object_type,
    }


def problem(status: int, detail: str) -> web.Response:
    return web.json_response({"type": "about:blank", "status": status, "detail": detail}, status=status)


def fake_vtn(script: Script) -> web.Application:  # noqa: C901, PLR0915 - one small handler per route
    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        script.log.append(("POST", "/auth/token", None))
        if script.refuse_token or form.get("client_secret") != "s3cret":
            return web.json_response({"error": "invalid_client"}, status=401)
        script.tokens_issued += 1
        return web.json_response(
            {
                "access_token": f"t{script.tokens_issued}",
                "token_type": "Bearer",
                "expires_in": script.lifetime_s,
            }
        )

    def bearer(request: web.Request) -> str | None:
        return request.headers.get("Authorization", "").removeprefix("Bearer ") or None

    @web.middleware
    async def auth(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.endswith("/auth/token"):
            return await handler(request)  # type: ignore[no-any-return]
        used = bearer(request)
        script.log.append((request.method, request.path, used))
        if used is None or used in script.expire_tokens:
            return problem(401, "token unknown")
        return await handler(request)  # type: ignore[no-any-return]

    async def vens(request: web.Request) -> web.Response:
        return web.json_response(script.vens)

    async def create_ven(request: web.Request) -> web.Response:
        body = await request.json()
        ven = {**meta("VEN", "ven-1"), "clientID": "ven", "venName": body["venName"]}
        script.vens.append(ven)
        return web.json_response(ven, status=201)

    async def resources(request: web.Request) -> web.Response:
        return web.json_response([])

    async def create_resource(request: web.Request) -> web.Response:
        body = await request.json()
        rid = f"res-{body['resourceName']}"
        doc = {
            **meta("RESOURCE", rid),
            "clientID": "ven",
            "resourceName": body["resourceName"],
            "venID": body["venID"],
        }
        return web.json_response(doc, status=201)

    async def programs(request: web.Request) -> web.Response:
        skip = int(request.query.get("skip", "0"))
        limit = int(request.query.get("limit", "50"))
        everything = [{**meta("PROGRAM", f"p{i}"), "programName": f"n{i}"} for i in range(120)]
        return web.json_response(everything[skip : skip + limit])

    async def events(request: web.Request) -> web.Response:
        return web.json_response(script.events)

    async def huge(request: web.Request) -> web.Response:
        return web.Response(body=b'"' + b"x" * 4_100_000 + b'"', content_type="application/json")

    async def large(request: web.Request) -> web.Response:  # legal, and many chunks long
        return web.Response(body=b'"' + b"y" * 1_000_000 + b'"', content_type="application/json")

    async def deep(request: web.Request) -> web.Response:
        return web.Response(body=b"[" * 200_000 + b"]" * 200_000, content_type="application/json")

    async def endless(request: web.Request) -> web.Response:  # ignores skip: the same full page for ever
        return web.json_response([{**meta("PROGRAM", f"p{i}"), "programName": f"n{i}"} for i in range(50)])

    async def reports(request: web.Request) -> web.Response:
        wanted = request.query.get("eventID")
        return web.json_response([r for r in script.reports.values() if r["eventID"] == wanted])

    async def write_report(request: web.Request) -> web.Response:
        status = script.reports_status.pop(0) if script.reports_status else 0
        if status:
            return problem(status, "not now")
        body = await request.json()
        report_id = request.match_info.get("reportID", f"rpt-{len(script.reports) + 1}")
        doc = {**meta("REPORT", report_id), **body, "clientID": "ven"}
        script.reports[report_id] = doc
        return web.json_response(doc, status=201 if request.method == "POST" else 200)

    async def not_json(request: web.Request) -> web.Response:
        return web.Response(text="<html>", content_type="text/html")

    app = web.Application(middlewares=[auth])
    app.router.add_post("/auth/token", token)
    app.router.add_get("/vens", vens)
    app.router.add_post("/vens", create_ven)
    app.router.add_get("/resources", resources)
    app.router.add_post("/resources", create_resource)
    app.router.add_get("/programs", programs)
    app.router.add_get("/events", events)
    app.router.add_get("/reports", reports)
    app.router.add_post("/reports", write_report)
    app.router.add_put("/reports/{reportID}", write_report)
    app.router.add_get("/broken", not_json)
    app.router.add_get("/endless", endless)
    app.router.add_get("/huge", huge)
    app.router.add_get("/deep", deep)
    app.router.add_get("/large", large)
    return app


class Monotonic:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def client_for(base: str, secret: str = "s3cret", monotonic: Monotonic | None = None) -> Vtn3Client:  # noqa: S107 (the fake VTN's)
    oauth = OAuthSettings("ven", secret, base.rstrip("/") + "/auth/token")
    return Vtn3Client(base, oauth, monotonic=monotonic or Monotonic())
