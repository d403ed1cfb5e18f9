"""The mock VTN's OpenADR 3.1 API: OAuth2, admin events seen by 3.1 VENs, privacy, targets, pagination."""

from __future__ import annotations

import base64

import pytest
from aiohttp.test_utils import TestClient

from tests.openadr3.conftest import Api, admin_event, register


async def test_token_for_known_client(api: Api):
    """Client credentials buy a Bearer token with the role's scopes; the token opens the API."""
    reply = await api.form(
        "/auth/token", {"grant_type": "client_credentials", "client_id": "ven", "client_secret": "ven-secret"}
    )
    assert reply.status == 200
    assert reply.body["token_type"] == "Bearer"
    assert "write_reports" in reply.body["scope"].split()
    assert reply.body["expires_in"] == 3600
    listed = await api.call("GET", "/programs", as_=None, params=None)
    assert listed.status == 401


async def test_token_refusals(api: Api):
    """A wrong secret is 401 invalid_client; a missing grant type 400; client_secret_basic works too."""
    wrong = await api.form(
        "/auth/token", {"grant_type": "client_credentials", "client_id": "ven", "client_secret": "nope"}
    )
    assert (wrong.status, wrong.body["error"]) == (401, "invalid_client")
    unknown = await api.form(
        "/auth/token", {"grant_type": "client_credentials", "client_id": "who", "client_secret": "x"}
    )
    assert unknown.status == 401
    grant = await api.form("/auth/token", {"client_id": "ven", "client_secret": "ven-secret"})
    assert (grant.status, grant.body["error"]) == (400, "unsupported_grant_type")
    basic = base64.b64encode(b"bl:bl-secret").decode()
    ok = await api.form(
        "/auth/token", {"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert ok.status == 200
    assert "write_events" in ok.body["scope"].split()


async def test_auth_server_names_token_url(api: Api):
    """GET /auth/server (no token needed) names this VTN's /auth/token."""
    reply = await api.call("GET", "/auth/server", as_=None)
    assert reply.status == 200
    assert reply.body["tokenURL"].endswith("/openadr3/3.1.0/auth/token")


async def test_roles_are_enforced(api: Api):
    """A VEN may not write programs or events; business logic may not write reports; a bad token is 401."""
    program = await api.call("POST", "/programs", "ven", {"programName": "p"})
    assert program.status == 403
    event = await api.call("POST", "/events", "ven", {"programID": "p"})
    assert event.status == 403
    report = await api.call("POST", "/reports", "bl", {"eventID": "e", "clientName": "c", "resources": []})
    assert report.status == 403
    api.tokens["ven"] = "forged"
    assert (await api.call("GET", "/events", "ven")).status == 401


async def test_admin_event_reaches_openadr3_ven(api: Api, admin: TestClient):
    """An admin-API event for a 3.1 VEN is listed to it, mapped to DISPATCH_SETPOINT_RELATIVE in kW, with
    report descriptors for USAGE and BASELINE and a program telling the poll interval."""
    ven = await register(api)
    vens = await (await admin.get("/api/vens")).json()
    assert [(v["ven_name"], v["ven_id"]) for v in vens] == [("fleet-a", ven["id"])]
    event_id = await admin_event(admin, unit="MW", intervals=[{"duration": "PT15M", "value": -0.5}])
    events = await api.call("GET", "/events")
    assert events.status == 200
    assert len(events.body) == 1
    event = events.body[0]
    assert event["id"] == event_id
    assert event["targets"] == ["fleet-a"]
    assert event["payloadDescriptors"] == [
        {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "DISPATCH_SETPOINT_RELATIVE", "units": "KW"}
    ]
    interval = event["intervals"][0]
    assert interval["payloads"] == [{"type": "DISPATCH_SETPOINT_RELATIVE", "values": [-500.0]}]
    assert interval["intervalPeriod"] == {"start": "2026-07-01T12:05:00Z", "duration": "PT15M"}
    assert [d["payloadType"] for d in event["reportDescriptors"]] == ["USAGE", "BASELINE"]
    assert {d["units"] for d in event["reportDescriptors"]} == {"KW"}
    program = await api.call("GET", f"/programs/{event['programID']}")
    assert program.body["programName"] == "oadr://v2x-mock/default"
    assert {"type": "X_POLL_INTERVAL", "values": ["PT10S"]} in program.body["attributes"]
    shown = await (await admin.get(f"/api/events/{event_id}")).json()
    assert shown["vens"][0]["delivered_modification_number"] == 0
    polled = await (await admin.get("/api/vens")).json()
    assert polled[0]["poll_count"] == 1


@pytest.mark.parametrize(
    ("signal", "kind", "value", "payload", "wire_value", "units"),
    [
        ("LOAD_DISPATCH", "setpoint", 200, "DISPATCH_SETPOINT", 200.0, "KW"),
        ("SIMPLE", "level", 2, "SIMPLE", 2, None),
        ("ELECTRICITY_PRICE", "price", 0.31, "PRICE", 0.31, "KWH"),
        ("LOAD_CONTROL", "x-loadControlCapacity", 0.4, "X_LOAD_CONTROL_CAPACITY", 0.4, "PERCENT"),
    ],
)
async def test_signal_mapping(  # noqa: PLR0917 (one parameter per table column)
    api: Api, admin: TestClient, signal, kind, value, payload, wire_value, units
):
    """Each admin signal maps to its 3.1 payload type and units (CONTRACT.md's table, private X_ types)."""
    await register(api)
    await admin_event(admin, signal=signal, type=kind, intervals=[{"duration": "PT30M", "value": value}])
    (event,) = (await api.call("GET", "/events")).body
    descriptor = event["payloadDescriptors"][0]
    assert (descriptor["payloadType"], descriptor.get("units")) == (payload, units)
    assert event["intervals"][0]["payloads"][0]["values"] == [wire_value]


async def test_privacy_between_ven_clients(api: Api, admin: TestClient):
    """A VEN client sees only its own ven and the events sent to it; business logic sees every VEN."""
    mine = await register(api, "ven", "fleet-a")
    theirs = await register(api, "ven2", "fleet-b")
    await admin_event(admin, ven="fleet-b")
    assert (await api.call("GET", "/events", "ven")).body == []
    assert len((await api.call("GET", "/events", "ven2")).body) == 1
    assert [v["id"] for v in (await api.call("GET", "/vens", "ven")).body] == [mine["id"]]
    assert (await api.call("GET", f"/vens/{theirs['id']}", "ven")).status == 404
    everyone = (await api.call("GET", "/vens", "bl")).body
    assert sorted(v["venName"] for v in everyone) == ["fleet-a", "fleet-b"]
    taken = await api.call("POST", "/vens", "ven2", {"objectType": "VEN_VEN_REQUEST", "venName": "fleet-a"})
    assert taken.status == 400


async def test_targets_grant_and_hide(api: Api):
    """Business logic grants targets through ven and resource objects; a VEN sees a targeted event only with
    a granted target, and only the targets it was granted."""
    ven = await api.call(
        "POST",
        "/vens",
        "bl",
        {"objectType": "BL_VEN_REQUEST", "clientID": "ven", "venName": "fleet-a", "targets": ["group1"]},
    )
    assert ven.status == 201
    resource = await api.call(
        "POST",
        "/resources",
        "bl",
        {
            "objectType": "BL_RESOURCE_REQUEST",
            "clientID": "ven",
            "venID": ven.body["id"],
            "resourceName": "depot-1",
            "targets": ["depot-1"],
        },
    )
    assert resource.status == 201
    await register(api, "ven2", "fleet-b")
    program = await api.call("POST", "/programs", "bl", {"programName": "summer"})
    for targets in (["group1", "secret-area"], ["depot-1"], ["other"]):
        created = await api.call(
            "POST", "/events", "bl", {"programID": program.body["id"], "targets": targets, "intervals": []}
        )
        assert created.status == 201
    seen = (await api.call("GET", "/events", "ven")).body
    assert sorted(tuple(e["targets"]) for e in seen) == [("depot-1",), ("group1",)]
    assert (await api.call("GET", "/events", "ven2")).body == []
    narrowed = (await api.call("GET", "/events", "ven", params={"targets": "depot-1"})).body
    assert [e["targets"] for e in narrowed] == [["depot-1"]]
    assert len((await api.call("GET", "/events", "bl")).body) == 3


async def test_pagination_and_query_checks(api: Api):
    """skip and limit page through programs; limit over 50, a negative skip or a bad id is 400."""
    for name in ("a", "b", "c"):
        assert (await api.call("POST", "/programs", "bl", {"programName": name})).status == 201
    page = await api.call("GET", "/programs", "ven", params={"skip": "1", "limit": "1"})
    assert [p["programName"] for p in page.body] == ["b"]
    for params in ({"limit": "51"}, {"skip": "-1"}, {"limit": "x"}):
        assert (await api.call("GET", "/programs", "ven", params=params)).status == 400
    assert (await api.call("GET", "/events", "ven", params={"programID": "a b"})).status == 400
    assert (await api.call("GET", "/events", "ven", params={"active": "maybe"})).status == 400
    duplicate = await api.call("POST", "/programs", "bl", {"programName": "a"})
    assert duplicate.status == 409


async def test_ven_resources_lifecycle(api: Api):
    """A VEN client registers one resource per site under its ven, lists, renames and deletes them; another
    VEN client sees none of them; a duplicate name under one ven is 409; deleting the ven removes the rest."""
    ven = await register(api)
    other = await register(api, "ven2", "fleet-b")
    made = []
    for site in ("depot-1", "depot-2"):
        body = {"objectType": "VEN_RESOURCE_REQUEST", "venID": ven["id"], "resourceName": site}
        created = await api.call("POST", "/resources", "ven", body)
        assert created.status == 201, created.body
        assert (created.body["objectType"], created.body["venID"]) == ("RESOURCE", ven["id"])
        made.append(created.body)
    again = {"objectType": "VEN_RESOURCE_REQUEST", "venID": ven["id"], "resourceName": "depot-1"}
    assert (await api.call("POST", "/resources", "ven", again)).status == 409
    foreign = {"objectType": "VEN_RESOURCE_REQUEST", "venID": other["id"], "resourceName": "x"}
    assert (await api.call("POST", "/resources", "ven", foreign)).status == 404
    listed = await api.call("GET", "/resources", "ven", params={"venID": ven["id"]})
    assert [r["resourceName"] for r in listed.body] == ["depot-1", "depot-2"]
    assert (await api.call("GET", "/resources", "ven2")).body == []
    assert (await api.call("GET", f"/resources/{made[0]['id']}", "ven2")).status == 404
    renamed = {"objectType": "VEN_RESOURCE_REQUEST", "venID": ven["id"], "resourceName": "depot-1a"}
    updated = await api.call("PUT", f"/resources/{made[0]['id']}", "ven", renamed)
    assert (updated.status, updated.body["resourceName"]) == (200, "depot-1a")
    assert updated.body["createdDateTime"] == made[0]["createdDateTime"]
    assert (await api.call("DELETE", f"/resources/{made[0]['id']}", "ven")).status == 200
    assert (await api.call("GET", f"/resources/{made[0]['id']}", "ven")).status == 404
    assert (await api.call("DELETE", f"/vens/{ven['id']}", "ven")).status == 200
    assert (await api.call("GET", "/resources", "bl")).body == []
