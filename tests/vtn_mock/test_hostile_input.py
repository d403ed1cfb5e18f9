"""Hostile or broken input on the OpenADR endpoint: a 4xx, and the server keeps serving (how fast: see
benchmarks/bench_hostile_input.py)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from openleadr.messaging import create_message

from tests.vtn_mock.conftest import VtnProcess
from vtn_mock.guard import xml_guard

pytestmark = pytest.mark.slow

XML = {"Content-Type": "application/xml"}
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'.encode() for i in range(1, 10)
    )
    + b']><oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07">&lol9;</oadr:oadrPayload>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07">&xxe;</oadr:oadrPayload>'
)
TRUNCATED = b'<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07"><oadr:oadrSignedObject>'
SCHEMA_INVALID = (
    b'<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07"><oadr:oadrSignedObject>'
    b"<oadr:oadrPoll/></oadr:oadrSignedObject></oadr:oadrPayload>"
)
OVERSIZE = b'<?xml version="1.0"?><oadr:oadrPayload>' + b" " * 1_500_000 + b"</oadr:oadrPayload>"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> int:
    data = io.BytesIO(body) if len(body) > 1_000_000 else body  # aiohttp warns on large raw bytes
    async with session.post(url, data=data, headers=XML if headers is None else headers) as resp:
        await resp.read()
        return resp.status


async def still_serves(session: aiohttp.ClientSession, vtn: VtnProcess) -> None:
    query = create_message("oadrQueryRegistration", request_id="after-attack").encode()
    status = await post(session, f"{vtn.openadr_url}/EiRegisterParty", query)
    assert status == 200
    assert vtn.alive()


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("billion laughs (nested entity declarations)", BILLION_LAUGHS, 400),
        ("external entity", EXTERNAL_ENTITY, 400),
        ("malformed XML", TRUNCATED, 400),
        ("schema-invalid oadrPoll (no venID)", SCHEMA_INVALID, 400),
        ("not XML at all", b"hello", 400),
        ("empty body", b"", 400),
        ("over the 1 MB limit", OVERSIZE, 413),
    ],
)
async def test_hostile_body_gets_4xx_and_server_survives(vtn, session, name, body, expected):
    """Each hostile or broken body gets a 4xx on every service; the VTN still answers afterwards."""
    for service in ("OadrPoll", "EiEvent", "EiRegisterParty", "EiReport", "EiOpt"):
        status = await post(session, f"{vtn.openadr_url}/{service}", body)
        assert status == expected, (name, service)
    await still_serves(session, vtn)


async def test_chunked_oversize_body_is_refused(vtn, session):
    """A body with no Content-Length that grows past the limit is cut off with 413."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07">'
        for _ in range(20):
            yield b" " * 100_000

    async with session.post(f"{vtn.openadr_url}/OadrPoll", data=chunks(), headers=XML) as resp:
        assert resp.status == 413
    await still_serves(session, vtn)


async def test_wrong_content_type_is_415_not_500(vtn, session):
    """Stock openleadr answers a wrong Content-Type with 500 (a TypeError in its error path); we send 415."""
    query = create_message("oadrQueryRegistration", request_id="r1").encode()
    status = await post(session, f"{vtn.openadr_url}/EiRegisterParty", query, {"Content-Type": "text/plain"})
    assert status == 415
    await still_serves(session, vtn)


async def test_guard_turns_handler_failures_into_400(aiohttp_client):
    """Whatever openleadr's handler does wrong (500 or an exception), the VEN gets a 400 and the app lives."""

    async def answers_500(_request: web.Request) -> web.Response:
        return web.Response(status=500)

    async def raises(_request: web.Request) -> web.Response:
        raise KeyError("ven_id")

    app = web.Application(middlewares=[xml_guard(1000)])
    app.router.add_post("/500", answers_500)
    app.router.add_post("/raise", raises)
    client = await aiohttp_client(app)
    for path in ("/500", "/raise", "/500"):
        resp = await client.post(path, data=b"<a/>", headers=XML)
        assert resp.status == 400
