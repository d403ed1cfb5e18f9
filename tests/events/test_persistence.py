"""Serialisation of events and restoring the book from a real SQLite store after a restart."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from ven.clock import ManualClock
from ven.events import Answer, AnswerSource, EventBook, from_json, to_json, to_record, view_from_record
from ven.events.model import EventStatus as Live
from ven.events.model import SignalKind, Targets, VtnStatus
from ven.events.serde import OPEN_END
from ven.storage import Store

from .conftest import QUARTER, START, VEN_ID, distribution, known, make_event, seeded


def test_json_round_trip_keeps_every_field() -> None:
    """to_json/from_json reproduce the event exactly, through real JSON text."""
    event = make_event(
        startafter=timedelta(seconds=90.5),
        ramp_up=timedelta(minutes=5),
        targets=Targets(ven_id=("v",), group_id=("g1", "g2")),
        priority=3,
        test_event=True,
    )
    signal = replace(event.signals[0], unit="W", kw_per_unit=1e-3, current_value=0.0)
    event = replace(
        event,
        signals=(signal,),
        recovery=timedelta(minutes=1),
        notification=timedelta(hours=1),
        vtn_comment="hi",
    )
    assert from_json(json.loads(json.dumps(to_json(event)))) == event
    unsupported = replace(signal, kind=None, problem="signal FOO/bar not supported")
    event = replace(event, signals=(unsupported,))
    assert from_json(json.loads(json.dumps(to_json(event)))) == event


def test_rows_stored_before_signal_kinds_read_as_their_kind() -> None:
    """A round-1 row held 2.0b signal names and itemBases: it reads back as the kind it was, in kW."""
    stored = to_json(make_event(values=(-500.0,), interval=QUARTER))
    legacy_signal = {
        key: value
        for key, value in stored["signals"][0].items()
        if key not in ("kind", "unit", "kw_per_unit")
    }
    legacy = [
        dict(legacy_signal, item_base={"name": "powerReal", "unit": "W", "scale": "k"}),
        dict(legacy_signal, name="LOAD_DISPATCH", type="x-other", item_base=None),
        dict(legacy_signal, item_base={"name": "current", "unit": "A", "scale": "none"}),
    ]
    signals = [from_json(dict(stored, signals=[raw])).signals[0] for raw in legacy]
    assert [(s.kind, s.kw_per_unit, s.unit) for s in signals] == [
        (SignalKind.LOAD_DELTA, 1.0, "kW"),
        (None, 1.0, None),
        (None, 1.0, "A"),
    ]
    assert [s.problem for s in signals] == [
        "",
        "signal LOAD_DISPATCH/x-other not supported",
        "LOAD_DISPATCH in 'A': only W is supported",
    ]


def test_record_round_trip_keeps_offset_cancellation_and_open_end(clock: ManualClock) -> None:
    """A view saved as an EventRecord comes back with its offset, cancel time and answer."""
    book = EventBook(VEN_ID, clock, seeded(2))
    window = timedelta(minutes=5)
    book.apply_distribution(
        distribution(make_event(startafter=window), make_event("open", values=(-1.0,), interval=timedelta(0)))
    )
    clock.set(START + timedelta(minutes=30))
    book.apply_distribution(
        distribution(make_event(modification_number=1, startafter=window, status=VtnStatus.CANCELLED))
    )  # and "open" implied
    for view in book.views():
        record = to_record(view, view.status(clock.now()))
        assert view_from_record(record) == view
    assert to_record(known(book, "open"), known(book, "open").status(START)).end < OPEN_END  # cancelled


def test_restore_from_sqlite_resumes_without_deciding_twice(tmp_path: Path, clock: ManualClock) -> None:
    """A restarted VEN gets back offsets, statuses, cancellations and every answer (with what decided it,
    acknowledged by the VTN or not) from a real store, and decides nothing again."""
    window = timedelta(minutes=10)
    events = (make_event("a", startafter=window), make_event("b", start=START + 4 * QUARTER))
    answers = {
        "a": Answer.opt_in("plan delivers 100%"),
        "b": Answer.opt_out("signal BID_LOAD/setpoint not supported", AnswerSource.UNSUPPORTED),
    }
    before = EventBook(VEN_ID, clock, seeded(9))
    with Store.open(tmp_path / "ven.db", clock=clock) as store:
        for change in before.apply_distribution(distribution(*events)):
            view = before.record_answer(change.event_id, change.modification_number, answers[change.event_id])
            assert view is not None
            store.events.save(to_record(view, view.status(clock.now())))
        assert store.events.acknowledge("a", 0, at=clock.now())  # "b" never reached the VTN
        records = store.events.latest()

    clock.set(START + QUARTER)  # the VEN was down for a while
    after = EventBook(VEN_ID, clock, seeded(12345))  # another seed: nothing may be redrawn
    after.restore(records)
    assert [v.offset_s for v in after.views()] == [v.offset_s for v in before.views()]
    assert known(after, "a") == after.active_at(clock.now())
    assert {e: after.answer_for(e, 0) for e in answers} == answers
    assert [r.answered for r in records] == [True, False]
    assert after.apply_distribution(distribution(*events)) == []  # same modifications: no new answers


def test_restore_keeps_a_randomised_cancellation(tmp_path: Path, clock: ManualClock) -> None:
    """A cancellation still terminating at shutdown ends at the same moment after restart."""
    window = timedelta(minutes=10)
    before = EventBook(VEN_ID, clock, seeded(4))
    before.apply_distribution(distribution(make_event(startafter=window)))
    clock.set(START + timedelta(minutes=30))
    before.apply_distribution(distribution())  # implied cancel, randomised within startafter
    view = known(before, "e1")
    with Store.open(tmp_path / "ven.db", clock=clock) as store:
        store.events.save(to_record(view, view.status(clock.now())))
        records = store.events.pending()
    after = EventBook(VEN_ID, clock, seeded(5))
    after.restore(records)
    assert known(after, "e1").cancel_at == view.cancel_at
    assert view.cancel_at is not None
    assert after.status("e1", view.cancel_at) is Live.CANCELLED
