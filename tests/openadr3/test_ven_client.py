"""ven.openadr3.client and link against a scripted VTN on 127.0.0.1: tokens (fetched, renewed before expiry
and once on 401), typed errors for every refusal, paging; the link's reports are sent again until taken."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from ven.clock import ManualClock
from ven.events.answers import Answer
from ven.events.model import Distribution, DrEvent
from ven.openadr3.client import (
    AuthRefusedError,
    Exchange,
    OAuthSettings,
    Vtn3Client,
    VtnAnswerError,
    VtnHttpError,
    VtnUnreachableError,
)
from ven.openadr3.link import OpenADR3Link
from ven.openadr3.models import Event
from ven.openadr3.reporting import Reporter3
from ven.openadr3.webhook import WebhookReceiver
from ven.telemetry.series import Key, Point, Quantity

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


@pytest.fixture
async def served() -> Any:
    script = Script()
    server = TestServer(fake_vtn(script), host="127.0.0.1")
    await server.start_server()
    yield script, str(server.make_url(""))
    await server.close()


class Monotonic:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def client_for(base: str, secret: str = "s3cret", monotonic: Monotonic | None = None) -> Vtn3Client:  # noqa: S107 (the fake VTN's)
    oauth = OAuthSettings("ven", secret, base.rstrip("/") + "/auth/token")
    return Vtn3Client(base, oauth, monotonic=monotonic or Monotonic())


async def test_token_fetched_once_then_renewed_before_expiry(served):
    """One token serves until a minute before it expires; then a new one is fetched first."""
    script, base = served
    clock = Monotonic()
    client = client_for(base, monotonic=clock)
    try:
        await client.call("GET", "/events")
        await client.call("GET", "/events")
        assert script.tokens_issued == 1
        clock.now_s += 3600 - 59
        await client.call("GET", "/events")
        assert script.tokens_issued == 2
        assert script.log[-1] == ("GET", "/events", "t2")
    finally:
        await client.close()


async def test_401_renews_the_token_once(served):
    """A VTN that forgot our token (restarted) answers 401: a new token, the request once more."""
    script, base = served
    client = client_for(base)
    try:
        await client.call("GET", "/events")
        script.expire_tokens.add("t1")
        assert await client.call("GET", "/events") == []
        assert script.tokens_issued == 2
        script.expire_tokens.add("t2")
        script.refuse_token = True
        with pytest.raises(AuthRefusedError) as refused:
            await client.call("GET", "/events")
        assert refused.value.status == 401
    finally:
        await client.close()


async def test_refusals_are_typed_errors(served):
    """Wrong credentials, an unknown path, a non-JSON, oversized or absurdly nested answer, a closed port and
    endless paging are each a typed error."""
    _, base = served
    wrong = client_for(base, secret="nope")
    client = client_for(base)
    nowhere = client_for("http://127.0.0.1:9")
    try:
        with pytest.raises(AuthRefusedError, match="invalid_client"):
            await wrong.call("GET", "/events")
        with pytest.raises(VtnHttpError) as missing:
            await client.call("GET", "/nothing")
        assert missing.value.status == 404
        with pytest.raises(VtnAnswerError):
            await client.call("GET", "/broken")
        with pytest.raises(VtnUnreachableError):
            await nowhere.call("GET", "/events")
        assert len(await client.call("GET", "/large")) == 1_000_000  # read whole, chunk after chunk
        with pytest.raises(VtnAnswerError, match="bytes"):
            await client.call("GET", "/huge")
        with pytest.raises(VtnAnswerError, match="not JSON"):
            await client.call("GET", "/deep")
        with pytest.raises(VtnAnswerError, match="more than"):
            await client._list("/endless")
    finally:
        for c in (wrong, client, nowhere):
            await c.close()


async def test_programs_are_read_page_by_page(served):
    """A search answers at most 50 objects: the client reads on until a short page."""
    _, base = served
    client = client_for(base)
    try:
        assert [p.program_name for p in await client.programs()] == [f"n{i}" for i in range(120)]
    finally:
        await client.close()


async def test_register_creates_ven_and_resources_once(served):
    """No ven of that name: POST /vens; a second registration finds it; one resource per site."""
    script, base = served
    client = client_for(base)
    try:
        ven = await client.register("north")
        again = await client.register("north")
        assert ven.id == again.id == "ven-1"
        assert len(script.vens) == 1
        assert await client.ensure_resources(ven.id, ("depot", "school")) == {
            "depot": "res-depot",
            "school": "res-school",
        }
    finally:
        await client.close()


class History:
    """Stored fleet telemetry: 1 s samples of usage 30 kW, baseline 50 kW, delta 20 kW."""

    def __init__(self) -> None:
        self.marked: list[datetime] = []

    def points(self, keys: Any, since: datetime, until: datetime) -> list[Point]:
        wanted: set[Key] = set(keys)
        out = []
        at = since
        while at < until:
            for quantity, value in (
                (Quantity.USAGE, 30.0),
                (Quantity.BASELINE, 50.0),
                (Quantity.DELTA_USAGE, 20.0),
            ):
                if ("fleet", quantity) in wanted:
                    out.append(Point(at, "fleet", quantity, value))
            at += timedelta(seconds=1)
        return out

    def mark_reported(self, until: datetime) -> int:
        self.marked.append(until)
        return 0


def an_event(intervals: int = 3) -> dict[str, Any]:
    descriptor = {"readingType": "MEAN", "units": "KW", "aggregate": True}
    return {
        **meta("EVENT", "evt-1"),
        "programID": "p0",
        "intervalPeriod": {"start": T0.isoformat(), "duration": "PT5M"},
        "reportDescriptors": [
            {"payloadType": "USAGE", **descriptor},
            {"payloadType": "BASELINE", **descriptor},
            {"payloadType": "DELTA_USAGE", **descriptor, "units": "W"},
        ],
        "intervals": [
            {"id": k, "payloads": [{"type": "DISPATCH_SETPOINT_RELATIVE", "values": [-20]}]}
            for k in range(intervals)
        ],
    }


async def test_reports_sent_again_until_taken_and_nothing_lost(served):
    """Reports the VTN answers 503 are built anew and sent later, whole: the VTN ends up with every
    complete interval; samples are marked reported only up to what no pending report needs."""
    script, base = served
    script.events = [an_event()]
    clock = ManualClock(T0 - timedelta(minutes=1))
    seen: list[Distribution] = []

    async def on_distribution(distribution: Distribution) -> None:
        seen.append(distribution)

    async def on_event(event: DrEvent) -> Answer:
        return Answer.opt_in()

    history = History()
    link = OpenADR3Link(
        "north",
        client_for(base),
        on_distribution=on_distribution,
        on_event=on_event,
        reporter=Reporter3(history, "north"),
        resources=("depot",),
        clock=clock,
    )
    try:
        assert await link.poll_once()
        assert seen[0].event_ids == ("evt-1",)
        assert await link.send_reports() == 0  # nothing complete yet
        clock.set(T0 + timedelta(minutes=5, seconds=1))
        script.reports_status = [503]
        assert await link.send_reports() == 0
        assert script.reports == {}
        assert history.marked[-1] == T0  # the first interval is still owed
        clock.set(T0 + timedelta(minutes=10, seconds=1))
        assert await link.send_reports() == 1
        (report,) = script.reports.values()
        intervals = report["resources"][0]["intervals"]
        assert [i["id"] for i in intervals] == [0, 1]
        payloads = {p["type"]: p["values"] for p in intervals[0]["payloads"]}
        assert payloads == {"USAGE": [30.0], "BASELINE": [50.0], "DELTA_USAGE": [20000.0]}
        clock.set(T0 + timedelta(minutes=15, seconds=1))
        assert await link.send_reports() == 1
        assert [i["id"] for i in script.reports["rpt-1"]["resources"][0]["intervals"]] == [0, 1, 2]
        assert len(script.reports) == 1  # updated in place (PUT), not posted twice
        assert history.marked[-1] == clock.now()  # nothing owed any more
    finally:
        await link.stop()


async def test_a_deleted_events_report_is_given_up(served):
    """409 (the event is gone) ends that report instead of retrying for ever."""
    script, base = served
    script.events = [an_event(1)]
    clock = ManualClock(T0 + timedelta(minutes=6))

    async def on_distribution(_distribution: Distribution) -> None:
        return None

    async def on_event(_event: DrEvent) -> Answer:
        return Answer.opt_in()

    reporter = Reporter3(History(), "north")
    link = OpenADR3Link(
        "north",
        client_for(base),
        on_distribution=on_distribution,
        on_event=on_event,
        reporter=reporter,
        resources=(),
        clock=clock,
    )
    try:
        await link.poll_once()
        script.reports_status = [409]
        assert await link.send_reports() == 0
        assert reporter.pending == []
    finally:
        await link.stop()


def test_json_helper_is_json() -> None:
    """(The fake VTN answers real JSON.)"""
    assert json.loads(json.dumps(meta("VEN", "x")))["objectType"] == "VEN"


async def test_webhook_answers_the_echo_and_wakes_only_with_our_token():
    """The callback echoes the challenge; a notification without our bearer token is refused and wakes
    nothing; ours for an event wakes the poller."""
    woken: list[int] = []
    receiver = WebhookReceiver("127.0.0.1:0")
    receiver.on_notice = lambda: woken.append(1)
    url = await receiver.start()
    notice = {"objectType": "EVENT", "operation": "CREATE", "object": {}}
    try:
        async with ClientSession() as http:
            async with http.get(url, params={"echo": "abc"}) as resp:
                assert (resp.status, await resp.text()) == (200, "abc")
            async with http.post(url, json=notice, headers={"Authorization": "Bearer forged"}) as resp:
                assert resp.status == 401
            assert woken == []
            auth = {"Authorization": f"Bearer {receiver.bearer_token}"}
            async with http.post(url, json=notice, headers=auth) as resp:
                assert resp.status == 200
            async with http.post(url, json={**notice, "objectType": "REPORT"}, headers=auth) as resp:
                assert resp.status == 200
        assert woken == [1]
    finally:
        await receiver.stop()


class Unreadable(History):
    """A store that answers nothing (the database restarting), or only from `since_ok` on."""

    def __init__(self, since_ok: datetime | None = None) -> None:
        super().__init__()
        self.since_ok = since_ok

    def points(self, keys: Any, since: datetime, until: datetime) -> list[Point]:
        if self.since_ok is None:
            return []
        return super().points(keys, max(since, self.since_ok), until)


def test_reports_wait_for_a_store_that_answers_nothing():
    """While the store answers nothing, no report is built and nothing counts as sent; an interval with no
    samples before one with samples was not measured and is skipped."""
    reporter = Reporter3(Unreadable(), "north")
    reporter.track([Event.model_validate(an_event())])
    (report,) = reporter.pending
    assert reporter.build(report, T0 + timedelta(minutes=11)) is None
    reporter.samples = Unreadable(since_ok=T0 + timedelta(minutes=5))
    built = reporter.build(report, T0 + timedelta(minutes=11))
    assert built is not None
    request, covered = built
    assert covered == 2
    assert [i.id for i in request.resources[0].intervals] == [1]
    assert reporter.overdue(T0 + timedelta(days=1, minutes=16)) == ["evt-1"]


async def test_no_secret_or_token_in_logs_or_exchanges(served, caplog: pytest.LogCaptureFixture):
    """A session with 401s, refusals and reports, logged at DEBUG: neither the client secret nor a token
    appears in a log record or an exchange shown to observers."""
    script, base = served
    seen: list[Exchange] = []
    client = client_for(base)
    client.observer = seen.append
    caplog.set_level(logging.DEBUG)
    try:
        await client.call("GET", "/events")
        script.expire_tokens.add("t1")
        await client.call("GET", "/events")
        with pytest.raises(VtnHttpError):
            await client.call("GET", "/nothing")
    finally:
        await client.close()
    text = caplog.text + "".join(repr(e) for e in seen)
    assert seen
    for secret in ("s3cret", "t1", "t2"):
        assert secret not in text.replace("/events", "")


async def test_each_refusal_and_opt_out_is_logged_once(served, caplog: pytest.LogCaptureFixture):
    """An unusable event and an event answered optOut are each logged on the first poll, not on every one;
    the unusable one is still listed in the distribution (so a known event it replaced is not kept)."""
    script, base = served
    script.events = [an_event(1), {**meta("EVENT", "evt-bad"), "programID": "p0", "intervals": "nope"}]
    seen: list[Distribution] = []

    async def on_distribution(distribution: Distribution) -> None:
        seen.append(distribution)

    async def on_event(_event: DrEvent) -> Answer:
        return Answer.opt_out("not this one")

    link = OpenADR3Link(
        "north",
        client_for(base),
        on_distribution=on_distribution,
        on_event=on_event,
        reporter=Reporter3(History(), "north"),
        resources=(),
        clock=ManualClock(T0),
    )
    caplog.set_level(logging.INFO, logger="ven.openadr3.link")
    try:
        assert await link.poll_once()
        assert await link.poll_once()
    finally:
        await link.stop()
    assert seen[-1].event_ids == ("evt-1", "evt-bad")
    assert [e.event_id for e in seen[-1].events] == ["evt-1"]
    messages = [r.getMessage() for r in caplog.records]
    assert sum("evt-bad" in m for m in messages) == 1
    assert sum("not this one" in m for m in messages) == 1
