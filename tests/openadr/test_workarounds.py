"""One test per openleadr 0.5.36 bug that ven/openadr/workarounds.py lists, named after the bug."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from openleadr import enums, objects, utils
from openleadr.messaging import create_message, parse_message, validate_xml_schema

from ven.events import Answer
from ven.openadr.events import EventResponder
from ven.openadr.models import (
    Distribution,
    EventStatus,
    MalformedEventError,
    OadrEvent,
    event_from_openleadr,
)
from ven.openadr.reports import ReportSources, offer_reports
from ven.openadr.signals import event_horizon
from ven.openadr.workarounds import PatchedClient
from ven.security.signing import MessageFactory

from .conftest import BILLION_LAUGHS, Vtn, free_port, make_client, raw_event

WAIT = 5.0
START = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)


def distribute_xml(vtn_id: str = "VTN", duration: timedelta = timedelta(minutes=30)) -> bytes:
    event = objects.Event(
        event_descriptor=objects.EventDescriptor(
            event_id="e1",
            modification_number=0,
            market_context="oadr://m",
            event_status="far",
            created_date_time=START,
        ),
        active_period=objects.ActivePeriod(dtstart=START, duration=duration),
        event_signals=[
            objects.EventSignal(
                intervals=[objects.Interval(dtstart=START, duration=duration, signal_payload=-5.0, uid=0)],
                signal_name="LOAD_DISPATCH",
                signal_type="delta",
                signal_id="s1",
            )
        ],
        targets=[objects.Target(ven_id="ven-1")],
        response_required="always",
    )
    message = create_message(
        "oadrDistributeEvent",
        request_id="r1",
        vtn_id=vtn_id,
        events=[event],
        response={"response_code": 200, "response_description": "OK", "request_id": "r0"},
    )
    return str(message).encode()


def parse(body: bytes) -> OadrEvent:
    message_type, payload = PatchedClient("v", "http://127.0.0.1:1")._parse_answer("OadrPoll", body)
    assert message_type == "oadrDistributeEvent"
    return event_from_openleadr(payload["events"][0])


def test_hostile_xml_segfaults_validate_xml_schema_unit() -> None:
    """An entity-declaration answer is refused before lxml sees it: no crash, no message."""
    client = PatchedClient("v", "http://127.0.0.1:1")
    assert client._parse_answer("OadrPoll", BILLION_LAUGHS) == (None, {})
    assert client.refused_answers == 1


async def test_hostile_xml_segfaults_validate_xml_schema(vtn: Vtn, started: list) -> None:
    """A hostile VTN answer is logged and ignored, and the VEN keeps polling and answering events."""
    client = make_client(vtn.url)
    started.append(client)
    registration = await client.start()
    vtn.hostile_polls = 3
    opted = vtn.add_event(registration.ven_id)
    assert await asyncio.wait_for(opted, WAIT) == "optIn"
    assert client.refused_answers == 3


def test_parse_datetime_accepts_only_z() -> None:
    """A zone-less timestamp passes the 2.0b schema, not openleadr's parser: refused as 454, not guessed."""
    body = distribute_xml().replace(b"2026-07-01T16:00:00.000000Z", b"2026-07-01T16:00:00")
    message_type, payload = PatchedClient("v", "http://127.0.0.1:1")._parse_answer("OadrPoll", body)
    assert message_type == "oadrDistributeEvent"
    with pytest.raises(MalformedEventError, match="UTC") as caught:
        event_from_openleadr(payload["events"][0])
    assert caught.value.response_code == 454


def test_utc_timestamps_parse() -> None:
    """The schema's only zone, Z, comes out as an aware UTC datetime."""
    assert parse(distribute_xml()).dtstart == START


def test_durations_truncated_to_whole_seconds() -> None:
    """openleadr sends 1.5 s as PT1S, so report settings must be whole seconds."""
    assert utils.timedeltaformat(timedelta(seconds=1.5)) == "PT1S"
    with pytest.raises(ValueError, match="min_sampling"):
        ReportSources(*(lambda: 0.0,) * 6, min_sampling=timedelta(seconds=1.5))


async def test_empty_answer_returns_none_not_tuple(vtn: Vtn) -> None:
    """An empty HTTP body (openleadr's VTN answers oadrResponse so) gives (None, {}), not None."""
    client = PatchedClient("v", vtn.url)
    try:
        message = client._create_message(
            "oadrResponse",
            ven_id="x",
            response={"response_code": 200, "response_description": "OK", "request_id": None},
        )
        assert await client._perform_request("EiRegisterParty", message) == (None, {})
    finally:
        await client.client_session.close()


async def test_reports_share_requested_r_ids(vtn: Vtn, started: list) -> None:
    """Two reports whose report interval exceeds the sampling interval each complete with their own r_ids."""
    vtn.report_request = (timedelta(seconds=1), timedelta(seconds=2))
    sources = ReportSources(
        usage_kw=lambda: 1.0,
        baseline_kw=lambda: 2.0,
        delta_usage_kw=lambda: 1.0,
        online=lambda: 1.0,
        available_reduction_kw=lambda: 3.0,
        stored_energy_kwh=lambda: 4.0,
        min_sampling=timedelta(seconds=1),
    )
    client = make_client(vtn.url, reports=sources)
    started.append(client)
    await client.start()
    async with asyncio.timeout(WAIT):
        while len(vtn.report_values) < 6:
            await asyncio.sleep(0.02)
    # First report per request: 2 samples (2 s / 1 s) of its own items; shared r_ids gave 4 samples late.
    assert {tuple(v) for v in vtn.report_values.values()} == {(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 4.0)}
    r_ids = {r["report_specifier_id"]: r["r_ids"] for r in client._client.report_requests}
    assert r_ids == {
        "TELEMETRY_USAGE": ["fleet.usage", "fleet.baseline", "fleet.deltaUsage"],
        "TELEMETRY_STATUS": ["fleet.online", "fleet.availableReduction_kW", "fleet.storedEnergy_kWh"],
    }


async def test_add_report_scale_mutates_shared_measurements(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offering kW reports leaves openleadr's shared POWER_REAL measurement untouched (whatever a stock
    client elsewhere in the process did to it: it starts from "none" here)."""
    monkeypatch.setattr(enums.MEASUREMENTS.POWER_REAL, "scale", "none")
    client = PatchedClient("v", "http://127.0.0.1:1")
    offer_reports(client, ReportSources(*(lambda: 0.0,) * 6))
    assert enums.MEASUREMENTS.POWER_REAL.scale == "none"
    usage = next(r for r in client.reports if r.report_name == "TELEMETRY_USAGE")
    assert {d.measurement.scale for d in usage.report_descriptions} == {"k"}
    assert len({id(d.measurement) for d in usage.report_descriptions}) == len(usage.report_descriptions)


async def test_lowercase_vtn_id_answers_452(started: list) -> None:
    """A VTN whose id is all lowercase still gets oadrCreatedEvent with response code 200."""
    vtn = Vtn(free_port(), vtn_id="lowercasevtn")
    await vtn.start()
    try:
        client = make_client(vtn.url)
        started.append(client)
        registration = await client.start()
        opted = vtn.add_event(registration.ven_id)
        assert await asyncio.wait_for(opted, WAIT) == "optIn"
        assert vtn.created_events[-1]["response"]["response_code"] == 200
    finally:
        await client.stop()
        await vtn.stop()


def test_startafter_parsed_never_applied() -> None:
    """tolerance.startafter reaches the runtime, which applies its own offset to the horizon."""
    raw = raw_event()
    raw["active_period"]["tolerance"] = {"tolerate": {"startafter": timedelta(minutes=10)}}
    event = event_from_openleadr(raw)
    assert event.startafter == timedelta(minutes=10)
    assert event_horizon(event, offset=timedelta(minutes=4)).start == event.dtstart + timedelta(minutes=4)


def test_never_reaches_near() -> None:
    """The status is the VTN's as sent, with ramp-up exposed: the runtime derives 'near' itself."""
    raw = raw_event(event_status="near")
    raw["active_period"]["ramp_up"] = timedelta(minutes=10)
    event = event_from_openleadr(raw)
    assert (event.event_status, event.ramp_up) == (EventStatus.NEAR, timedelta(minutes=10))


async def test_no_implied_cancel() -> None:
    """Every distribution lists all its event ids, so the runtime sees an event that disappeared."""
    seen: list[Distribution] = []

    async def on_distribution(distribution: Distribution) -> None:
        seen.append(distribution)

    async def on_event(_event: OadrEvent) -> Answer:
        return Answer.opt_in()

    responder = EventResponder(on_event, on_distribution)
    await responder.respond({"request_id": "1", "events": [raw_event(event_id="a"), raw_event(event_id="b")]})
    await responder.respond({"request_id": "2", "events": [raw_event(event_id="b")]})
    assert set(seen[0].event_ids) - set(seen[1].event_ids) == {"a"}


PEER_TEXT = "R&D <heat> ]]> wave\nline two\tZürich 東京 \x01 end"


def test_templates_do_not_escape() -> None:
    """openleadr renders values into its XML raw: a response description (or an event id echoed back)
    with `&` or `<` makes stock create_message emit a document that is not well-formed. Ours escapes
    every value: well-formed, and the text arrives as sent (a control character XML cannot carry at all
    becomes U+FFFD)."""
    payload = {
        "response": {"response_code": 200, "response_description": "OK", "request_id": "r1"},
        "ven_id": "ven-1",
        "event_responses": [
            {
                "response_code": 460,
                "response_description": PEER_TEXT,
                "request_id": "r1",
                "event_id": "event <&> 1",
                "modification_number": 0,
                "opt_type": "optOut",
            }
        ],
    }
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(create_message("oadrCreatedEvent", **payload).encode())
    ours = MessageFactory()("oadrCreatedEvent", **payload).encode()
    etree.fromstring(ours, etree.XMLParser(resolve_entities=False, recover=False))
    validate_xml_schema(ours)
    _, parsed = parse_message(ours)
    [response] = parsed["event_responses"]
    assert response["event_id"] == "event <&> 1"
    assert response["response_description"] == PEER_TEXT.replace("\x01", "\ufffd")
