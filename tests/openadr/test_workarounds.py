"""One test per openleadr 0.5.36 bug that ven/openadr/workarounds.py lists, named after the bug."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from openleadr import OpenADRClient, enums, objects, utils
from openleadr.messaging import create_message, parse_message, validate_xml_schema

from ven.clock import ManualClock
from ven.events import Answer
from ven.events.model import Distribution, DrEvent, MalformedEventError, VtnStatus
from ven.events.signals import event_horizon, refusal
from ven.openadr import wire
from ven.openadr.answers import response_code
from ven.openadr.events import EventResponder
from ven.openadr.models import event_from_openleadr
from ven.openadr.reports import ReportSources
from ven.openadr.workarounds import PatchedClient
from ven.security.signing import MessageFactory, wrap
from ven.storage import Store, TelemetrySample
from ven.telemetry.series import Quantity, StatusLog, StatusSnapshot, UsageHistory

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


def parse(body: bytes) -> DrEvent:
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
    assert response_code(refusal(caught.value)) == 454


def test_utc_timestamps_parse() -> None:
    """The schema's only zone, Z, comes out as an aware UTC datetime."""
    assert parse(distribute_xml()).dtstart == START


def test_durations_truncated_to_whole_seconds() -> None:
    """openleadr sends 1.5 s as PT1S and zero as a bare "P"; ours refuses fractions and writes PT0S."""
    assert utils.timedeltaformat(timedelta(seconds=1.5)) == "PT1S"
    assert utils.timedeltaformat(timedelta(0)) == "P"
    assert wire.format_duration(timedelta(0)) == "PT0S"
    assert wire.format_duration(timedelta(days=1, seconds=90)) == "P1DT1M30S"
    with pytest.raises(ValueError, match="whole"):
        wire.format_duration(timedelta(seconds=1.5))


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


async def test_reports_share_requested_r_ids(vtn: Vtn, started: list, tmp_path: Path) -> None:
    """Two reports whose report interval exceeds the sampling interval each go out with their own r_ids
    only, once per report interval (openleadr's shared list mixed them and timed them wrongly)."""
    vtn.report_request = (timedelta(seconds=1), timedelta(seconds=2))
    vtn.request_status = True
    store = Store.open(f"sqlite:///{tmp_path / 'ven.db'}")
    store.telemetry.add(
        TelemetrySample(START + timedelta(seconds=k + 0.5), "fleet", 1.0, 2.0, 1.0) for k in range(2)
    )
    log = StatusLog()
    log.add(StatusSnapshot(START + timedelta(seconds=0.5), {("fleet", Quantity.STORED_ENERGY): 4.0}))
    sources = ReportSources(UsageHistory(store), log, sampling=timedelta(seconds=1))
    clock = ManualClock(START)
    client = make_client(vtn.url, reports=sources, clock=clock, report_tick=timedelta(hours=1))
    started.append(client)
    await client.start()
    clock.advance(timedelta(seconds=2))
    assert await client.send_due_reports() == 2
    by_report = {
        u["reports"][0]["report_specifier_id"]: {
            i["report_payload"]["r_id"] for i in u["reports"][0]["intervals"]
        }
        for u in vtn.updates
    }
    assert by_report == {
        "TELEMETRY_USAGE": {"fleet.usage", "fleet.baseline", "fleet.deltaUsage"},
        "TELEMETRY_STATUS": {"fleet.storedEnergy_kWh"},
    }
    store.close()


async def test_add_report_scale_mutates_shared_measurements(
    vtn: Vtn, started: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """openleadr's add_report(scale='k') rewrites the shared POWER_REAL; registering ours leaves it be
    (it starts from "none" here, whatever a stock client elsewhere in the process did to it)."""
    monkeypatch.setattr(enums.MEASUREMENTS.POWER_REAL, "scale", "none")
    OpenADRClient("v", "http://127.0.0.1:1").add_report(
        lambda: 0.0, "r", "POWER_REAL", scale="k", report_duration=timedelta(hours=1)
    )
    assert enums.MEASUREMENTS.POWER_REAL.scale == "k"  # the bug
    monkeypatch.setattr(enums.MEASUREMENTS.POWER_REAL, "scale", "none")
    with Store.open(f"sqlite:///{tmp_path / 'ven.db'}") as store:
        client = make_client(vtn.url, reports=ReportSources(UsageHistory(store), StatusLog()))
        started.append(client)
        await client.start()
    assert enums.MEASUREMENTS.POWER_REAL.scale == "none"
    power = [i for i in vtn.registered_items if i["measurement"] == "RealPower"]
    assert len(power) == 3
    assert {(i["unit"], i["scale"]) for i in power} == {("W", "k")}


def test_update_report_renders_only_payload_float() -> None:
    """openleadr's oadrUpdateReport has no oadrPayloadResourceStatus: a status fails the schema there;
    ours renders it, and openleadr parses it back."""
    status = {"online": True, "manual_override": False}
    report = objects.Report(
        report_request_id="rr",
        report_specifier_id="TELEMETRY_STATUS",
        report_name="TELEMETRY_STATUS",
        intervals=[
            objects.ReportInterval(
                dtstart=START, report_payload=objects.ReportPayload(r_id="s", value=status)
            )
        ],
    )
    with pytest.raises(etree.XMLSyntaxError):
        validate_xml_schema(
            create_message("oadrUpdateReport", ven_id="v", request_id="r", reports=[report]).encode()
        )
    data = wire.ReportData(
        "rr",
        "TELEMETRY_STATUS",
        "TELEMETRY_STATUS",
        [wire.Interval(START, "s", wire.Status(True, False))],
        START,
        "r1",
    )
    text = wrap(wire.serialize(wire.update_report([data], "v", "r")), None)
    validate_xml_schema(text.encode())
    payload = parse_message(text)[1]["reports"][0]["intervals"][0]["report_payload"]
    assert payload["payload_resource_status"] == status


async def test_create_opt_keeps_opts_in_memory_and_takes_errors_as_success(vtn: Vtn, started: list) -> None:
    """openleadr's create_opt takes an error answer as success and its cancel_opt refuses an optID it
    did not create in this process (and sends an empty requestID); ours sees the error, and cancels any
    optID with a requestID."""
    stock = OpenADRClient("stock-ven", vtn.url)
    stock.ven_id = "ven-9"
    sent: list[str] = []

    async def error_answer(_service: str, message: str) -> tuple[str, dict[str, Any]]:
        sent.append(message)
        return "oadrCreatedOpt", {"opt_id": "o1", "response": {"response_code": 452}}

    stock._perform_request = error_answer
    target = [objects.Target(ven_id="ven-9")]
    assert await stock.create_opt("optOut", "x-schedule", target, event_id="e1", opt_id="o1") == "o1"
    assert await OpenADRClient("stock-ven", vtn.url).cancel_opt("o1") is False  # a "restarted" client
    stock.opts.append(
        objects.Opt(opt_id="o1", opt_type="optOut", opt_reason="x-schedule", event_id="e1", targets=target)
    )
    await stock.cancel_opt("o1")
    assert (
        '<requestID xmlns="http://docs.oasis-open.org/ns/energyinterop/201110/payloads"></requestID>'
        in sent[-1]
    )

    client = make_client(vtn.url)
    started.append(client)
    registration = await client.start()
    message = wire.OptMessage(
        "o2", "optOut", "x-schedule", registration.ven_id, "r2", START, event_id="e1", modification_number=0
    )
    vtn.opt_answer_code = 452
    assert await client.create_opt(message) is False
    vtn.opt_answer_code = None
    assert await client.create_opt(message) is True
    assert await client.cancel_opt("o-from-before-a-restart") is True
    assert vtn.opts[-1][0] == "oadrCancelOpt"
    assert vtn.opts[-1][1]["request_id"]


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
    assert (event.event_status, event.ramp_up) == (VtnStatus.NEAR, timedelta(minutes=10))


async def test_no_implied_cancel() -> None:
    """Every distribution lists all its event ids, so the runtime sees an event that disappeared."""
    seen: list[Distribution] = []

    async def on_distribution(distribution: Distribution) -> None:
        seen.append(distribution)

    async def on_event(_event: DrEvent) -> Answer:
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
