"""DrEvent built from openleadr's parsed event dicts; malformed input gives a typed error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ven.events import Answer
from ven.events.model import DrEvent, MalformedEventError, ResponseRequired, SignalKind, Targets, VtnStatus
from ven.events.signals import refusal
from ven.openadr.answers import response_code
from ven.openadr.events import EventResponder
from ven.openadr.models import event_from_openleadr

from .conftest import raw_event


def test_full_event_is_typed() -> None:
    """Every field the runtime needs comes out typed."""
    raw = raw_event(targets=[{"ven_id": "ven-1"}, {"resource_id": "fleet"}, {"group_id": "g"}])
    raw["active_period"].update(
        ramp_up=timedelta(minutes=2),
        recovery=timedelta(minutes=3),
        tolerance={"tolerate": {"startafter": timedelta(minutes=5)}},
    )
    raw["event_signals"][0]["measurement"] = {"name": "powerReal", "unit": "W", "scale": "k"}
    event = event_from_openleadr(raw)
    assert (event.event_id, event.modification_number, event.priority) == ("e1", 0, 1)
    assert event.dtstart == datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    assert event.end == datetime(2026, 7, 1, 16, 30, tzinfo=UTC)
    assert (event.startafter, event.ramp_up, event.recovery) == (
        timedelta(minutes=5),
        timedelta(minutes=2),
        timedelta(minutes=3),
    )
    assert event.event_status is VtnStatus.FAR
    assert event.response_required is ResponseRequired.ALWAYS
    assert event.targets == Targets(ven_id=("ven-1",), resource_id=("fleet",), group_id=("g",))
    signal = event.signals[0]
    assert (signal.kind, signal.name, signal.type, signal.unit, signal.kw_per_unit) == (
        SignalKind.LOAD_DELTA,
        "LOAD_DISPATCH",
        "delta",
        "kW",
        1.0,
    )
    assert [(i.uid, i.value) for i in signal.intervals] == [(0, -500.0), (1, -250.0)]


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda e: e.pop("active_period"), "active_period"),
        (lambda e: e["event_descriptor"].pop("modification_number"), "modification_number"),
        (lambda e: e["event_descriptor"].update(event_status="sideways"), "sideways"),
        (lambda e: e.update(event_signals=[]), "eiEventSignal"),
        (lambda e: e["event_signals"][0]["intervals"][0].update(signal_payload="lots"), "lots"),
        (lambda e: e["active_period"].update(dtstart="2026-07-01T16:00:00"), "UTC"),
        (lambda e: e.update(response_required="sometimes"), "sometimes"),
    ],
)
def test_malformed_event_is_typed_error(mutate, problem: str) -> None:
    """A missing or mistyped field raises MalformedEventError naming the event, never a crash."""
    raw = raw_event()
    mutate(raw)
    with pytest.raises(MalformedEventError, match=problem) as caught:
        event_from_openleadr(raw)
    assert caught.value.event_id == "e1"
    assert response_code(refusal(caught.value)) == 454


def test_event_without_id_is_malformed() -> None:
    """No eventID at all: MalformedEventError without an id."""
    raw = raw_event()
    del raw["event_descriptor"]["event_id"]
    with pytest.raises(MalformedEventError) as caught:
        event_from_openleadr(raw)
    assert caught.value.event_id is None


async def test_malformed_event_answered_opt_out_454() -> None:
    """A malformed event is answered optOut with 454 without asking the runtime."""
    asked: list[DrEvent] = []

    async def on_event(event: DrEvent) -> Answer:
        asked.append(event)
        return Answer.opt_in()

    raw = raw_event()
    raw["event_signals"][0]["intervals"][0]["signal_payload"] = None
    responses = await EventResponder(on_event).respond({"request_id": "r", "events": [raw]})
    assert asked == []
    assert [(r["opt_type"], r["response_code"]) for r in responses] == [("optOut", 454)]


async def test_runtime_error_is_not_an_opt_out() -> None:
    """An exception in the runtime's on_event propagates instead of becoming a silent optOut."""

    async def on_event(_event: DrEvent) -> Answer:
        raise RuntimeError("runtime bug")

    with pytest.raises(RuntimeError, match="runtime bug"):
        await EventResponder(on_event).respond({"request_id": "r", "events": [raw_event()]})
