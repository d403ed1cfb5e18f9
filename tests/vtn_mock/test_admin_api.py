"""Admin API: field-level validation errors, bearer tokens, modification and the OpenAPI document."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ven.clock import ManualClock
from ven.errors import InputError
from vtn_mock.admin.app import build_admin_app
from vtn_mock.config import AdminSection, VtnConfig
from vtn_mock.core import Enrollment, VtnCore
from vtn_mock.server import admin_token
from vtn_mock.store import Store

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
TOKEN = "s3cret-token-for-tests"
GOOD = {
    "ven": "fleet-a",
    "signal": "LOAD_DISPATCH",
    "type": "delta",
    "start": "+5m",
    "intervals": [{"duration": "PT15M", "value": -500}],
    "response_required": "always",
    "test_event": False,
}


@pytest.fixture
def core(tmp_path: Path) -> VtnCore:
    counter = itertools.count(1)
    vtn = VtnCore(
        Store(tmp_path / "vtn.sqlite"),
        ManualClock(NOW),
        lambda prefix: f"{prefix}-{next(counter)}",
        Enrollment(),
    )
    vtn.register("fleet-a", None)
    return vtn


@pytest.fixture
async def client(aiohttp_client, core):
    return await aiohttp_client(build_admin_app(core, None))


async def test_create_returns_201_and_event_id(client):
    """A valid POST /api/events answers 201 with the event id; GET shows the event and its VEN."""
    resp = await client.post("/api/events", json=GOOD)
    assert resp.status == 201
    created = await resp.json()
    shown = await (await client.get(f"/api/events/{created['event_id']}")).json()
    assert shown["start"] == "2026-07-01T12:05:00Z"
    assert shown["status"] == "far"
    assert shown["vens"][0]["ven_name"] == "fleet-a"
    assert shown["vens"][0]["opt"] is None


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"signal": "LOAD_SHED"}, ["body", "signal"]),
        ({"type": "level"}, ["body", "type"]),
        ({"start": "tomorrow"}, ["body", "start"]),
        ({"start": "2026-07-01T16:00:00"}, ["body", "start"]),
        ({"intervals": []}, ["body", "intervals"]),
        ({"intervals": [{"duration": "fifteen", "value": -500}]}, ["body", "intervals", 0, "duration"]),
        ({"intervals": [{"duration": "PT15M", "value": "lots"}]}, ["body", "intervals", 0, "value"]),
        ({"intervals": [{"duration": "1.5s", "value": 1}]}, ["body", "intervals", 0, "duration"]),
        ({"response_required": "sometimes"}, ["body", "response_required"]),
        ({"startafter": "-5m"}, ["body", "startafter"]),
        ({"priority": -1}, ["body", "priority"]),
        ({"colour": "red"}, ["body", "colour"]),
        ({"ven": "nobody"}, ["body", "ven"]),
        ({"start": "-2h"}, ["body", "start"]),
    ],
)
async def test_invalid_fields_get_422_with_their_location(client, change, loc):
    """Each invalid field is named in a 422 `detail` entry by its location in the body."""
    resp = await client.post("/api/events", json=GOOD | change)
    assert resp.status == 422
    detail = (await resp.json())["detail"]
    assert loc in [item["loc"] for item in detail], detail


async def test_signal_specific_values_are_checked(client):
    """SIMPLE levels must be 0–3 and a load-control capacity a fraction."""
    simple = GOOD | {"signal": "SIMPLE", "type": None, "intervals": [{"duration": "15m", "value": 5}]}
    capacity = GOOD | {
        "signal": "LOAD_CONTROL",
        "type": "x-loadControlCapacity",
        "intervals": [{"duration": "15m", "value": 1.5}],
    }
    for body in (simple, capacity):
        resp = await client.post("/api/events", json=body)
        assert resp.status == 422
        assert (await resp.json())["detail"][0]["loc"] == ["body", "intervals"]


async def test_body_that_is_not_json_gets_400(client):
    """A body that is not JSON is a 400, not a crash."""
    resp = await client.post("/api/events", data=b"{not json")
    assert resp.status == 400


async def test_modify_increments_modification_number_and_cancel_closes(client):
    """PATCH changes only the given fields and bumps modificationNumber; DELETE cancels; then 409."""
    event_id = (await (await client.post("/api/events", json=GOOD)).json())["event_id"]
    resp = await client.patch(
        f"/api/events/{event_id}", json={"intervals": [{"duration": "30m", "value": -250}], "ramp_up": "5m"}
    )
    modified = await resp.json()
    assert resp.status == 200
    assert (modified["modification_number"], modified["intervals"][0]["value"], modified["ramp_up"]) == (
        1,
        -250.0,
        "PT5M",
    )
    assert modified["start"] == "2026-07-01T12:05:00Z"
    bad = await client.patch(f"/api/events/{event_id}", json={"intervals": [{"duration": "x", "value": 1}]})
    assert bad.status == 422
    cancelled = await (await client.delete(f"/api/events/{event_id}")).json()
    assert (cancelled["status"], cancelled["modification_number"]) == ("cancelled", 2)
    assert (await client.delete(f"/api/events/{event_id}")).status == 409
    assert (await client.patch(f"/api/events/{event_id}", json={"priority": 1})).status == 409
    assert (await client.get("/api/events/nope")).status == 404


async def test_token_required_and_compared(aiohttp_client, core):
    """With a token set, requests without or with a wrong bearer token get 401; the right one passes."""
    client = await aiohttp_client(build_admin_app(core, TOKEN))
    assert (await client.get("/api/vens")).status == 401
    wrong = await client.get("/api/vens", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    assert wrong.headers["WWW-Authenticate"] == "Bearer"
    assert (await client.post("/api/events", json=GOOD)).status == 401
    ok = await client.get("/api/vens", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status == 200
    assert (await client.get("/api/openapi.json")).status == 200


def test_admin_beyond_loopback_needs_a_token(tmp_path, monkeypatch):
    """Binding the admin API to a non-loopback address without a token is refused at start."""
    monkeypatch.delenv("VTN_MOCK_ADMIN_TOKEN", raising=False)
    exposed = VtnConfig(admin=AdminSection(host="0.0.0.0"))  # noqa: S104
    with pytest.raises(InputError, match="bearer token"):
        admin_token(exposed)
    assert admin_token(VtnConfig()) is None
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert admin_token(VtnConfig(admin=AdminSection(host="0.0.0.0", token_file=str(token_file)))) == TOKEN  # noqa: S104
    monkeypatch.setenv("VTN_MOCK_ADMIN_TOKEN", "from-env")
    assert admin_token(exposed) == "from-env"


async def test_openapi_document_describes_the_api(client):
    """/api/openapi.json is OpenAPI 3.1 with every route and the request schema generated from pydantic."""
    doc = await (await client.get("/api/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    assert {
        "/api/events",
        "/api/events/{event_id}",
        "/api/events/{event_id}/performance",
        "/api/vens",
        "/api/openapi.json",
    } <= set(doc["paths"])
    create = doc["components"]["schemas"]["EventCreate"]
    assert {"signal", "start", "intervals"} <= set(create["required"])
    assert set(doc["paths"]["/api/events/{event_id}"]) == {"get", "patch", "delete"}
    assert "422" in doc["paths"]["/api/events"]["post"]["responses"]


async def test_lists_vens_and_events(client):
    """GET /api/vens and GET /api/events list what the VTN knows, with a status filter."""
    await client.post("/api/events", json=GOOD)
    vens = await (await client.get("/api/vens")).json()
    assert [(v["ven_name"], v["registered"], v["poll_count"]) for v in vens] == [("fleet-a", True, 0)]
    assert len(await (await client.get("/api/events")).json()) == 1
    assert await (await client.get("/api/events?status=active")).json() == []


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("intervals", {"intervals": [{"duration": 1e18, "value": -5}]}),
        ("intervals", {"intervals": [{"duration": "1000000000000000000s", "value": -5}]}),
        ("intervals", {"intervals": [{"duration": "99999999999d", "value": -5}]}),
        ("intervals", {"intervals": [{"duration": "P99999999999D", "value": -5}]}),
        ("intervals", {"intervals": [{"duration": "P20D", "value": -5}] * 2}),
        ("start", {"start": "9999-12-31T23:50:00Z"}),
        ("start", {"start": "9999-12-31T23:59:59-23:59"}),
        ("start", {"start": "+99999999999d"}),
        ("startafter", {"startafter": "99999999999d"}),
        ("ramp_up", {"ramp_up": 1e18}),
    ],
)
async def test_out_of_range_times_are_422_not_500(client, field, change):
    """Durations beyond what a date can hold, starts in year 9999 and events longer than the limits are
    refused field by field (422), never an HTTP 500."""
    resp = await client.post("/api/events", json={**GOOD, **change})
    assert resp.status == 422, await resp.text()
    detail = (await resp.json())["detail"]
    assert detail[0]["loc"][:2] == ["body", field]


@pytest.mark.parametrize("text", ["a\x01b", "\ud800", "\uffff"])
async def test_text_xml_cannot_carry_is_422(client, text):
    """A comment with a character XML cannot carry (a control character, a lone surrogate) is refused."""
    body = json.dumps({**GOOD, "vtn_comment": text})  # json escapes the surrogate as \ud800
    resp = await client.post("/api/events", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 422
    assert (await resp.json())["detail"][0]["loc"] == ["body", "vtn_comment"]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_json_nested_100000_deep_is_400_not_500(client, method):
    """A body of 100,000 nested arrays (the decoder's recursion limit) is a 400, and the API still works."""
    path = "/api/events" if method == "POST" else "/api/events/evt-1"
    for deep in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        resp = await client.request(method, path, data=deep, headers={"Content-Type": "application/json"})
        assert resp.status == 400
        assert (await resp.json())["detail"] == "body is nested too deeply"
    assert (await client.post("/api/events", json=GOOD)).status == 201
