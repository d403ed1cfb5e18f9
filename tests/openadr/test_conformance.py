"""OpenADR 2.0b conformance rules that belong to the protocol edge, named after the rule they check.

Rule texts for 2, 6, 8, 9 and 21 are as quoted in openleadr's own conformance tests; rule 12's is
paraphrased from the profile specification as cited in epri-dev/OpenADR-VEN-Library issue 5.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from openleadr.messaging import parse_message

from ven.events import Answer, AnswerSource, EventView, Opt
from ven.events.model import DrEvent, MalformedEventError
from ven.events.signals import convertible, event_request, refusal
from ven.openadr import wire
from ven.openadr.answers import response_code
from ven.openadr.events import EventResponder
from ven.openadr.models import event_from_openleadr
from ven.security.signing import wrap

from .conftest import Vtn, make_client, raw_event, signal_dict

WAIT = 5.0


async def test_conformance_002() -> None:
    """The uid element is REQUIRED for each eiEventSignal interval. Within a single oadrDistributeEvent
    eiEventSignal, uid MUST be expressed as an interval number with a base of 0 and an increment of 1 for
    each subsequent interval.
    """
    event = event_from_openleadr(raw_event(event_signals=[signal_dict("SIMPLE", "level", [1, 2, 3], 10)]))
    assert [i.uid for i in event.signals[0].intervals] == [0, 1, 2]


def test_conformance_006() -> None:
    """The presence of any string except "false" in the oadrDistributeEvent testEvent element MUST be
    treated as a trigger for a test event.
    """
    assert event_from_openleadr(raw_event(test_event=True)).test_event is True  # openleadr maps strings
    assert event_from_openleadr(raw_event(test_event=False)).test_event is False


def test_conformance_008() -> None:
    """oadrDistributeEvent eventSignal interval durations for a given event MUST add up to eiEvent
    eiActivePeriod duration.
    """
    raw = raw_event()
    raw["active_period"]["duration"] = timedelta(minutes=45)
    with pytest.raises(MalformedEventError, match="lasts") as caught:
        event_from_openleadr(raw)
    assert response_code(refusal(caught.value)) == 454


def test_conformance_009() -> None:
    """oadrDistributeEvent eiEventSignal's with a signalName of "SIMPLE" MUST use signalPayload values of
    0=normal; 1=moderate; 2=high; 3=special.
    """
    levels = {1: 0.5, 2: 0.75, 3: 1.0}
    good = event_from_openleadr(raw_event(event_signals=[signal_dict("SIMPLE", "level", [0, 3])]))
    request = event_request(good, baseline_kw=[9, 9], available_reduction_kw=[10, 10], simple_levels=levels)
    assert request.reduction_kw.tolist() == [0.0, 10.0]
    bad = event_from_openleadr(raw_event(event_signals=[signal_dict("SIMPLE", "level", [0, 5])]))
    with pytest.raises(MalformedEventError):
        event_request(bad, baseline_kw=[9, 9], available_reduction_kw=[10, 10], simple_levels=levels)


async def test_conformance_012(vtn: Vtn, started: list) -> None:
    """If the oadrResponseRequired element of an event is set to "never", the VEN MUST NOT respond to
    that event with an oadrCreatedEvent.
    """
    seen: list[DrEvent] = []

    async def on_event(event: DrEvent) -> Answer:
        seen.append(event)
        return Answer.opt_in()

    client = make_client(vtn.url, on_event=on_event)
    started.append(client)
    registration = await client.start()
    vtn.add_event(registration.ven_id, response_required="never", event_id="quiet")
    async with asyncio.timeout(WAIT):
        while not seen:
            await asyncio.sleep(0.02)
    answered = vtn.add_event(registration.ven_id, event_id="loud")
    assert await asyncio.wait_for(answered, WAIT) == "optIn"
    responded = [r["event_id"] for m in vtn.created_events for r in m["event_responses"]]
    assert "quiet" not in responded
    assert "loud" in responded


async def test_conformance_021() -> None:
    """If venID, vtnID, or eventID value is included in the payload, the receiving entity MUST validate
    that the ID value is as expected and generate an error if an unexpected value is received.
    Exception: A VEN MUST NOT generate an error upon receipt of a canceled event whose eventID is not
    previously known.
    """

    async def on_event(_event: DrEvent) -> Answer:
        return Answer.opt_in("cancellation noted")

    cancelled = raw_event(
        event_id="never-seen",
        event_status="cancelled",
        modification_number=3,
        event_signals=[signal_dict("BID_LOAD", "setpoint", [1, 1])],
    )
    responses = await EventResponder(on_event).respond({"request_id": "r", "events": [cancelled]})
    assert [(r["event_id"], r["response_code"], r["opt_type"]) for r in responses] == [
        ("never-seen", 200, "optIn")
    ]


async def test_unsupported_signal_opts_out_460(vtn: Vtn, started: list) -> None:
    """An event with a signal the VEN cannot act on is answered optOut with 460: the edge's `convertible`
    decider refuses it, and the refusal reaches a stock VTN with that code."""
    answers: list[Answer] = []

    async def on_event(event: DrEvent) -> Answer:
        answer = convertible(EventView(event)) or Answer.opt_in()
        answers.append(answer)
        return answer

    client = make_client(vtn.url, on_event=on_event)
    started.append(client)
    registration = await client.start()
    opted = vtn.add_event(registration.ven_id, signal_name="x-custom", signal_type="level", values=[1.0])
    assert await asyncio.wait_for(opted, WAIT) == "optOut"
    assert vtn.created_events[-1]["event_responses"][0]["response_code"] == 460
    assert [(a.opt, a.source) for a in answers] == [(Opt.OUT, AnswerSource.UNSUPPORTED)]


def test_conformance_001() -> None:
    """Date-time values go on the wire in UTC.

    The rule's text could not be found to quote; openleadr's own test_conformance_001 checks exactly this
    (a dateTime given with a +04:00 offset is sent, and parsed back, as the same instant in UTC). Here it
    is checked on what our VEN sends: a report reading stamped in US Eastern time.
    """
    eastern = datetime(2026, 7, 14, 16, 0, tzinfo=timezone(timedelta(hours=-4)))
    report = wire.ReportData(
        "rr-1",
        "TELEMETRY_USAGE",
        "TELEMETRY_USAGE",
        [wire.Interval(eastern, "fleet.usage", 12.5)],
        eastern,
        "r-1",
    )
    xml = wrap(wire.serialize(wire.update_report([report], "ven-1", "req-1")), None)
    assert "2026-07-14T20:00:00" in xml
    assert "16:00:00-04:00" not in xml
    _, parsed = parse_message(xml)
    stamp = parsed["reports"][0]["intervals"][0]["dtstart"]
    assert stamp.tzinfo == UTC
    assert stamp == eastern
