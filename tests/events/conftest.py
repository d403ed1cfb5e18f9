"""Builders for typed OadrEvents and distributions, a manual clock and a seeded book."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from ven.clock import ManualClock
from ven.events import Answer, EventBook, EventView
from ven.events.model import (
    Distribution,
    DrEvent,
    EventSignal,
    ResponseRequired,
    SignalInterval,
    SignalKind,
    Targets,
    VtnStatus,
)

T0 = datetime(2025, 1, 15, 17, 0, tzinfo=UTC)
START = T0 + timedelta(hours=1)
QUARTER = timedelta(minutes=15)
VEN_ID = "ven-1"
ANY_VEN = Targets()  # no eiTarget criteria: every VEN


def make_event(
    event_id: str = "e1",
    modification_number: int = 0,
    *,
    start: datetime = START,
    values: tuple[float, ...] = (-500.0, -500.0, -500.0, -500.0),
    interval: timedelta = QUARTER,
    status: VtnStatus = VtnStatus.FAR,
    startafter: timedelta | None = None,
    ramp_up: timedelta | None = None,
    priority: int = 0,
    test_event: bool = False,
    targets: Targets = ANY_VEN,
    response_required: ResponseRequired = ResponseRequired.ALWAYS,
    market_context: str = "oadr://ctx",
) -> DrEvent:
    intervals = tuple(SignalInterval(k, interval, v) for k, v in enumerate(values))
    return DrEvent(
        event_id=event_id,
        modification_number=modification_number,
        priority=priority,
        market_context=market_context,
        created=T0,
        dtstart=start,
        duration=interval * len(values),
        event_status=status,
        test_event=test_event,
        response_required=response_required,
        targets=targets,
        signals=(EventSignal(SignalKind.LOAD_DELTA, "LOAD_DISPATCH", "s1", intervals, type="delta"),),
        startafter=startafter,
        ramp_up=ramp_up,
    )


def distribution(*events: DrEvent, extra_ids: tuple[str, ...] = ()) -> Distribution:
    """One oadrDistributeEvent; `extra_ids` are listed events that did not parse (malformed)."""
    ids = tuple(e.event_id for e in events) + extra_ids
    return Distribution("req-1", "VTN", ids, events)


def known(book: EventBook, event_id: str) -> EventView:
    """The view of an event the book must know."""
    view = book.get(event_id)
    assert view is not None, f"{event_id} unknown"
    return view


def opt_in(book: EventBook, *event_ids: str) -> None:
    """Answer the live modification of each event optIn (what the runtime does when the plan delivers)."""
    for event_id in event_ids:
        view = known(book, event_id)
        assert book.record_answer(event_id, view.modification_number, Answer.opt_in()) is not None


def seeded(seed: int) -> random.Random:
    """A seeded generator: randomisation in tests must replay exactly."""
    return random.Random(seed)  # noqa: S311 - OpenADR start randomisation, not cryptography


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def book(clock: ManualClock) -> EventBook:
    return EventBook(VEN_ID, clock, seeded(7))
