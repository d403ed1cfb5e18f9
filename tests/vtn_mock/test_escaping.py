"""Whatever text a user puts in an event through the admin API, every answer of the mock VTN is well-formed
XML carrying that text exactly, and the VEN's other events still reach it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from lxml import etree
from openleadr.messaging import parse_message, validate_xml_schema

from tests.vtn_mock.conftest import VtnProcess
from ven.security.signing import MessageFactory

pytestmark = pytest.mark.slow

NASTY = "R&D <heat> ]]> wave, Zürich – 東京 ☀"
# Every user-settable text field of POST /api/events, each with `&`, `<`, `]]>` and non-ASCII; the market
# context is an xs:anyURI, which cannot hold `]` (refused with 422, below).
TEXT_FIELDS: dict[str, Any] = {
    "vtn_comment": f"comment {NASTY}",
    "market_context": "oadr://R&D/<ctx>/Zürich–東京",
    "targets": [
        {"ven_id": f"ven {NASTY}"},
        {"resource_id": f"resource {NASTY}"},
        {"group_id": f"group {NASTY}"},
        {"group_name": f"group name {NASTY}"},
        {"party_id": f"party {NASTY}"},
    ],
}
VEN_NAME = f"fleet {NASTY}"  # the `ven` selector names it
STRICT = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
XML = {"Content-Type": "application/xml"}


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def exchange(
    session: aiohttp.ClientSession, vtn: VtnProcess, service: str, message_type: str, **payload: Any
) -> dict[str, Any]:
    """Send one message (our escaping renderer) and parse the answer strictly, then as openleadr does."""
    body = MessageFactory()(message_type, **payload).encode()
    async with session.post(f"{vtn.openadr_url}/{service}", data=body, headers=XML) as resp:
        assert resp.status == 200, await resp.text()
        answer = await resp.read()
    etree.fromstring(answer, STRICT)  # well-formed, or XMLSyntaxError
    validate_xml_schema(answer)
    _, parsed = parse_message(answer)
    return dict(parsed)


async def admin(
    session: aiohttp.ClientSession, vtn: VtnProcess, method: str, path: str, body: Any, *, status: int = 200
) -> Any:
    async with session.request(method, vtn.admin_url + path, json=body) as resp:
        data = await resp.json()
        assert resp.status == status, data
        return data


def events_of(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["event_descriptor"]["event_id"]: e for e in answer.get("events") or []}


async def test_every_user_field_is_escaped_in_every_answer(vtn: VtnProcess, session) -> None:
    """An event whose every text field carries `&`, `<`, `]]>` and non-ASCII (created, then modified) is
    accepted; every oadrRequestEvent and oadrPoll answer is well-formed and schema-valid, carries the text
    exactly, and the VEN's plain event is delivered beside it."""
    registered = await exchange(
        session,
        vtn,
        "EiRegisterParty",
        "oadrCreatePartyRegistration",
        request_id="r1",
        ven_name=VEN_NAME,
        profile_name="2.0b",
        transport_name="simpleHttp",
        transport_address=None,
        report_only=False,
        xml_signature=False,
        http_pull_model=True,
    )
    ven_id = registered["ven_id"]
    base = {
        "ven": VEN_NAME,
        "signal": "LOAD_DISPATCH",
        "start": "+10m",
        "intervals": [{"duration": "PT15M", "value": -5}],
    }
    nasty = await admin(session, vtn, "POST", "/events", {**base, **TEXT_FIELDS}, status=201)
    plain = await admin(session, vtn, "POST", "/events", base, status=201)
    not_a_uri = await admin(
        session, vtn, "POST", "/events", {**base, "market_context": "oadr://a]]>b"}, status=422
    )
    assert [e["loc"] for e in not_a_uri["detail"]] == [["body", "market_context"]]
    checked = 0
    for round_ in ("created", "modified"):
        if round_ == "modified":
            patch = {"vtn_comment": f"modified {NASTY}", "market_context": "oadr://modified&<ü"}
            await admin(session, vtn, "PATCH", f"/events/{nasty['event_id']}", patch)
            TEXT_FIELDS.update(patch)
        for service, message_type in (("EiEvent", "oadrRequestEvent"), ("OadrPoll", "oadrPoll")):
            answer = await exchange(session, vtn, service, message_type, request_id="r2", ven_id=ven_id)
            if message_type == "oadrPoll" and answer.get("events") is None:
                continue  # nothing new since the oadrRequestEvent just before
            events = events_of(answer)
            assert set(events) == {nasty["event_id"], plain["event_id"]}
            descriptor = events[nasty["event_id"]]["event_descriptor"]
            assert descriptor["vtn_comment"] == TEXT_FIELDS["vtn_comment"]
            assert descriptor["market_context"] == TEXT_FIELDS["market_context"]
            sent = {(k, v) for t in events[nasty["event_id"]]["targets"] for k, v in t.items()}
            assert {(k, v) for t in TEXT_FIELDS["targets"] for k, v in t.items()} <= sent
            checked += 1
    assert checked >= 2  # at least the oadrRequestEvent answer of each round
    shown = await admin(session, vtn, "GET", f"/events/{nasty['event_id']}", None)
    assert shown["vtn_comment"] == TEXT_FIELDS["vtn_comment"]
