"""Hostile and malformed input over 3.1 gets a problem answer (4xx), never a 500; the VTN keeps serving."""

from __future__ import annotations

import pytest

from tests.openadr3.conftest import Api, register

DEEP = ("[" * 100_000 + "]" * 100_000).encode()


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"\xff\xfe\x00garbage", "application/json", 400),
        (b'{"programName": 5}', "application/json", 400),
        (b'{"programName": ""}', "application/json", 400),
        (b"[]", "application/json", 400),
        (b'{"programName": "p", "attributes": [{"type": "X", "values": [NaN]}]}', "application/json", 400),
        (b'{"programName": "p", "attributes": [{"type": "X", "values": [1e999]}]}', "application/json", 400),
        (b'{"programName": "p"}', "text/plain", 400),
        (DEEP, "application/json", 400),
        (b'{"programName": "' + b"x" * 600_000 + b'"}', "application/json", 400),
    ],
)
async def test_bad_bodies(api: Api, body: bytes, content_type: str, status: int):
    """Malformed JSON, wrong types, non-finite numbers, deep nesting and huge bodies: a problem, not a 500."""
    token = await api.token("bl")
    reply = await api.raw(
        "POST", "/programs", body, content_type, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status == status
    assert reply.body["status"] == status
    assert (await api.call("GET", "/programs", "bl")).status == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Basic dmVuOnZlbi1zZWNyZXQ=", "Bearer " + "A" * 8_000, "bearer x", "Bearer \u00e9"],
)
async def test_bad_tokens(api: Api, header: str):
    """Missing, malformed or forged tokens are 401 with a problem body and WWW-Authenticate."""
    reply = await api.raw("GET", "/events", None, "application/json", headers={"Authorization": header})
    assert reply.status == 401
    assert "Bearer" in reply.headers["WWW-Authenticate"]


async def test_wrong_shapes_per_endpoint(api: Api):
    """Every writing endpoint refuses bodies of the wrong shape with 400."""
    ven = await register(api)
    for method, path, who in (
        ("POST", "/vens", "ven"),
        ("PUT", f"/vens/{ven['id']}", "ven"),
        ("POST", "/resources", "ven"),
        ("POST", "/reports", "ven"),
        ("POST", "/subscriptions", "ven"),
        ("POST", "/events", "bl"),
        ("POST", "/programs", "bl"),
    ):
        for body in ({}, {"objectType": "NOPE"}, [1, 2], "text", {"resources": "x", "eventID": 3}):
            reply = await api.call(method, path, who, body)
            assert reply.status == 400, (method, path, body, reply.body)


async def test_unknown_routes_and_methods(api: Api):
    """Unknown paths are 404 problems, bad object ids in a path 400, unsupported methods 405 with Allow."""
    token = await api.token("ven")
    auth = {"Authorization": f"Bearer {token}"}
    missing = await api.client.get("/openadr3/3.1.0/nothing", headers=auth)
    assert missing.status == 404
    assert (await missing.json())["status"] == 404
    assert (await api.call("GET", "/events/bad%20id", "ven")).status == 400
    assert (await api.call("GET", "/events/nope", "ven")).status == 404
    patch = await api.client.patch("/openadr3/3.1.0/events", headers=auth)
    assert patch.status == 405
    assert "GET" in patch.headers["Allow"]
    mqtt = await api.call("GET", "/notifiers/mqtt/topics/events", "ven")
    assert mqtt.status == 404
    notifiers = await api.call("GET", "/notifiers", "ven")
    assert notifiers.body == {"WEBHOOK": True}
