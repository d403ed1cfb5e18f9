"""3.1 reports feed the one performance measurement; cancellation deletes for 3.1; webhook subscriptions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.openadr3.conftest import Api, admin_event, register
from ven.clock import ManualClock
from ven.openadr3.models import ObjectType
from vtn_mock.openadr3.service import Service


def report(event_id: str, usage: list[float], baseline: list[float], **extra: Any) -> dict[str, Any]:
    """An aggregated report with one USAGE and one BASELINE value per event interval (ids as the event's)."""
    return {
        "eventID": event_id,
        "clientName": "fleet-a",
        "payloadDescriptors": [
            {"objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "USAGE", "units": "KW"},
            {"objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "BASELINE", "units": "KW"},
        ],
        "resources": [
            {
                "resourceName": "AGGREGATED_REPORT",
                "intervals": [
                    {
                        "id": i,
                        "payloads": [{"type": "USAGE", "values": [u]}, {"type": "BASELINE", "values": [b]}],
                    }
                    for i, (u, b) in enumerate(zip(usage, baseline, strict=True))
                ],
            }
        ],
    } | extra


async def performance(admin: TestClient, event_id: str) -> dict[str, Any]:
    resp = await admin.get(f"/api/events/{event_id}/performance")
    assert resp.status == 200
    return dict(await resp.json())


async def test_report_gives_performance(api: Api, admin: TestClient):
    """USAGE and BASELINE reported over 3.1 give the admin API's performance exactly as 2.0b readings do:
    delivered = baseline − usage per interval, requested from the delta."""
    await register(api)
    event_id = await admin_event(admin)
    posted = await api.call("POST", "/reports", "ven", report(event_id, [400.0, 650.0], [900.0, 900.0]))
    assert posted.status == 201
    assert posted.body["clientID"] == "ven"
    result = await performance(admin, event_id)
    rows = [
        (i["requested_kw"], i["baseline_kw"], i["measured_kw"], i["delivered_kw"])
        for i in result["intervals"]
    ]
    assert rows == [(500.0, 900.0, 400.0, 500.0), (300.0, 900.0, 650.0, 250.0)]
    assert result["totals"]["delivered_ratio"] == pytest.approx((500 + 250) / (500 + 300), abs=1e-3)


async def test_report_update_replaces_and_delete_removes(api: Api, admin: TestClient):
    """A PUT report replaces its readings (no double counting); DELETE takes them away."""
    await register(api)
    event_id = await admin_event(admin)
    posted = await api.call("POST", "/reports", "ven", report(event_id, [400.0, 650.0], [900.0, 900.0]))
    updated = await api.call(
        "PUT", f"/reports/{posted.body['id']}", "ven", report(event_id, [100.0, 200.0], [900.0, 900.0])
    )
    assert updated.status == 200
    assert [i["measured_kw"] for i in (await performance(admin, event_id))["intervals"]] == [100.0, 200.0]
    assert (await api.call("DELETE", f"/reports/{posted.body['id']}", "ven")).status == 200
    assert [i["measured_kw"] for i in (await performance(admin, event_id))["intervals"]] == [None, None]


async def test_energy_and_subintervals(api: Api, admin: TestClient):
    """USAGE in KWH over an interval becomes its mean kW; several values in one payload are sub-intervals
    with their own times (both averaged into the event interval)."""
    await register(api)
    event_id = await admin_event(admin, intervals=[{"duration": "PT30M", "value": -500}])
    body = report(event_id, [0.0], [0.0])
    body["payloadDescriptors"][0]["units"] = "KWH"
    body["resources"][0]["intervalPeriod"] = {"start": "2026-07-01T12:05:00Z", "duration": "PT30M"}
    body["resources"][0]["intervals"][0]["payloads"] = [
        {"type": "USAGE", "values": [150.0, 250.0]},  # kWh per 15 min → 600 and 1000 kW
        {"type": "BASELINE", "values": [1200.0]},
    ]
    assert (await api.call("POST", "/reports", "ven", body)).status == 201
    (interval,) = (await performance(admin, event_id))["intervals"]
    assert (interval["measured_kw"], interval["baseline_kw"]) == (800.0, 1200.0)


async def test_report_for_unknown_or_foreign_event(api: Api, admin: TestClient):
    """A report about an event this VEN was not sent is a 409 (a dangling reference), and readable only by
    its writer and business logic."""
    await register(api, "ven", "fleet-a")
    await register(api, "ven2", "fleet-b")
    event_id = await admin_event(admin)
    assert (
        await api.call("POST", "/reports", "ven2", report(event_id, [1.0, 1.0], [2.0, 2.0]))
    ).status == 409
    assert (await api.call("POST", "/reports", "ven", report("nope", [1.0, 1.0], [2.0, 2.0]))).status == 409
    posted = await api.call("POST", "/reports", "ven", report(event_id, [1.0, 1.0], [2.0, 2.0]))
    assert (await api.call("GET", f"/reports/{posted.body['id']}", "ven2")).status == 404
    assert len((await api.call("GET", "/reports", "bl", params={"eventID": event_id})).body) == 1


async def test_cancel_deletes_for_openadr3(api: Api, admin: TestClient):
    """Cancelling through the admin API removes the event for 3.1 VENs (404, not listed), as does DELETE by
    business logic, which cancels it for 2.0b VENs too."""
    await register(api)
    first = await admin_event(admin)
    second = await admin_event(admin)
    assert (await admin.delete(f"/api/events/{first}")).status == 200
    assert (await api.call("GET", f"/events/{first}", "ven")).status == 404
    assert [e["id"] for e in (await api.call("GET", "/events", "ven")).body] == [second]
    assert (await api.call("DELETE", f"/events/{second}", "bl")).status == 200
    assert (await (await admin.get(f"/api/events/{second}")).json())["status"] == "cancelled"
    assert (await api.call("GET", "/events", "ven")).body == []
    assert (await api.call("PUT", f"/events/{first}", "bl", {"programID": "x"})).status == 404


class Hook:
    """A subscriber's webhook: answers the echo challenge (unless told not to) and records notifications."""

    def __init__(self, echo: bool = True) -> None:
        self.echo = echo
        self.received: list[dict[str, Any]] = []
        self.auth: list[str | None] = []
        app = web.Application()
        app.router.add_get("/hook", self._challenge)
        app.router.add_post("/hook", self._notified)
        self.server = TestServer(app, host="127.0.0.1")

    async def _challenge(self, request: web.Request) -> web.Response:
        return web.Response(text=request.query.get("echo", "") if self.echo else "no")

    async def _notified(self, request: web.Request) -> web.Response:
        self.received.append(json.loads(await request.read()))
        self.auth.append(request.headers.get("Authorization"))
        return web.Response()

    @property
    def url(self) -> str:
        return str(self.server.make_url("/hook"))


@pytest.fixture
async def hook() -> AsyncIterator[Hook]:
    receiver = Hook()
    await receiver.server.start_server()
    yield receiver
    await receiver.server.close()


def subscription(url: str, objects: list[str], operations: list[str]) -> dict[str, Any]:
    return {
        "clientName": "fleet-a",
        "objectOperations": [
            {"objects": objects, "operations": operations, "callbackUrl": url, "bearerToken": "hook-token"}
        ],
    }


async def test_webhook_notifications_for_admin_events(
    api: Api, admin: TestClient, service: Service, hook: Hook
):
    """A VEN subscribed to events is notified of create, update and delete of the admin events sent to it,
    with its bearer token, each notification object valid as the spec's event; others' events stay silent."""
    await register(api, "ven", "fleet-a")
    await register(api, "ven2", "fleet-b")
    all_ops = ["CREATE", "UPDATE", "DELETE"]
    created = await api.call("POST", "/subscriptions", "ven", subscription(hook.url, ["EVENT"], all_ops))
    assert created.status == 201
    assert created.body["clientID"] == "ven"
    event_id = await admin_event(admin)
    await admin_event(admin, ven="fleet-b")
    assert (await admin.patch(f"/api/events/{event_id}", json={"priority": 3})).status == 200
    assert (await admin.delete(f"/api/events/{event_id}")).status == 200
    await service.notifier.drain()
    assert [(n["objectType"], n["operation"]) for n in hook.received] == [
        ("EVENT", "CREATE"),
        ("EVENT", "UPDATE"),
        ("EVENT", "DELETE"),
    ]
    assert {n["object"]["id"] for n in hook.received} == {event_id}
    assert hook.received[1]["object"]["priority"] == 3
    assert set(hook.auth) == {"Bearer hook-token"}
    for notification in hook.received:
        api.checker.check(
            "GET",
            api.checker_url(f"/events/{event_id}"),
            200,
            json.dumps(notification["object"]).encode(),
            "application/json",
        )


async def test_subscription_needs_echo_and_https(api: Api):
    """A callback that does not answer the echo challenge, or plain http beyond loopback, is refused (400)."""
    silent = Hook(echo=False)
    await silent.server.start_server()
    try:
        refused = await api.call(
            "POST", "/subscriptions", "ven", subscription(silent.url, ["EVENT"], ["CREATE"])
        )
    finally:
        await silent.server.close()
    assert refused.status == 400
    remote = await api.call(
        "POST", "/subscriptions", "ven", subscription("http://example.com/hook", ["EVENT"], ["CREATE"])
    )
    assert remote.status == 400
    assert (await api.call("GET", "/subscriptions", "ven")).body == []


async def test_reports_notify_business_logic(api: Api, admin: TestClient, service: Service, hook: Hook):
    """Business logic subscribed to reports hears of each one; the VEN that wrote it can read it back."""
    await register(api)
    sub = await api.call("POST", "/subscriptions", "bl", subscription(hook.url, ["REPORT"], ["CREATE"]))
    assert sub.status == 201
    event_id = await admin_event(admin)
    posted = await api.call("POST", "/reports", "ven", report(event_id, [1.0, 1.0], [2.0, 2.0]))
    await service.notifier.drain()
    assert [n["object"]["id"] for n in hook.received] == [posted.body["id"]]
    listed = await api.call("GET", "/subscriptions", "bl", params={"objects": "REPORT"})
    assert len(listed.body) == 1


async def test_active_filter(api: Api, admin: TestClient, clock: ManualClock):
    """active=true leaves out events that are over."""
    await register(api)
    await admin_event(admin, start="+1m", intervals=[{"duration": "PT10M", "value": -100}])
    clock.advance(timedelta(minutes=20))
    assert len((await api.call("GET", "/events", "ven")).body) == 1
    assert (await api.call("GET", "/events", "ven", params={"active": "true"})).body == []


async def test_scenario_events_reach_openadr3_vens(api: Api, core, clock: ManualClock):
    """A scenario's events are created through the core, so 3.1 VENs get them like 2.0b ones."""
    from vtn_mock.scenario import ScenarioFile, expand, run_scenario  # noqa: PLC0415

    await register(api)
    scenario = ScenarioFile.model_validate(
        {
            "events": [
                {
                    "ven": "*",
                    "signal": "SIMPLE",
                    "start": "+1h",
                    "notice": "1h",
                    "intervals": [{"duration": "1h", "value": 1}],
                }
            ]
        }
    )
    await run_scenario(core, expand(scenario, clock.now()))
    (event,) = (await api.call("GET", "/events", "ven")).body
    assert event["id"] == "scenario-001"
    assert event["intervals"][0]["payloads"] == [{"type": "SIMPLE", "values": [1]}]


async def test_openadr3_objects_survive_restart(api: Api, admin: TestClient, core, service: Service):
    """vens, reports and programs are kept in the SQLite file: a new 3.1 service over it serves them."""
    ven = await register(api)
    event_id = await admin_event(admin)
    posted = await api.call("POST", "/reports", "ven", report(event_id, [1.0, 1.0], [2.0, 2.0]))
    reopened = Service(core, [], lambda prefix: f"{prefix}-again", timedelta(seconds=10))
    try:
        assert reopened.ctx.objects.get(ObjectType.VEN, ven["id"]) == ven
        assert reopened.ctx.objects.get(ObjectType.REPORT, posted.body["id"]) == posted.body
        assert len(reopened.ctx.objects.all(ObjectType.PROGRAM)) == 1
    finally:
        await reopened.close()


async def test_reports_past_retention_are_pruned(
    api: Api, admin: TestClient, service: Service, clock: ManualClock
):
    """prune_reports() drops 3.1 reports last modified before the cutoff, from memory and the file."""
    await register(api)
    event_id = await admin_event(admin)
    old = await api.call("POST", "/reports", "ven", report(event_id, [1.0, 1.0], [2.0, 2.0]))
    clock.advance(timedelta(days=20))
    api.tokens.clear()  # tokens expire: fresh ones after each leap of the clock
    new = await api.call("POST", "/reports", "ven", report(event_id, [3.0, 3.0], [4.0, 4.0]))
    assert (old.status, new.status) == (201, 201)
    clock.advance(timedelta(days=15))
    assert service.prune_reports(clock.now() - timedelta(days=30)) == 1
    api.tokens.clear()
    assert [r["id"] for r in (await api.call("GET", "/reports", "ven")).body] == [new.body["id"]]
    reopened = Service(service.ctx.core, [], lambda prefix: f"{prefix}-again", timedelta(seconds=10))
    try:
        assert [r["id"] for r in reopened.ctx.objects.all(ObjectType.REPORT)] == [new.body["id"]]
        assert reopened.ctx.objects.get(ObjectType.REPORT, old.body["id"]) is None
    finally:
        await reopened.close()
