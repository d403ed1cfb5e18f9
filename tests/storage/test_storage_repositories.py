"""Round trips through every repository, the answered-once rule, and transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from ven.events.model import EventStatus
from ven.storage import (
    DispatchDecision,
    EventBaseline,
    EventRecord,
    OptAnswer,
    PerformanceRow,
    Registration,
    Store,
)


def event(clock, modification_number: int = 0, **changes) -> EventRecord:
    start = clock.now() + timedelta(minutes=30)
    fields = {
        "event_id": "evt-1",
        "modification_number": modification_number,
        "payload": {"event_id": "evt-1", "dtstart": start, "duration": timedelta(hours=1), "signals": [1, 2]},
        "status": EventStatus.FAR,
        "start": start,
        "end": start + timedelta(hours=1),
        "randomised_offset_s": 12.5,
        "priority": 1,
    }
    return EventRecord(**{**fields, **changes})


def test_registration_round_trip_and_replace(store, clock):
    """The registration is stored, replaced on re-registration, and cleared."""
    assert store.registration.load() is None
    saved = store.registration.save(Registration("ven-1", "reg-1", "VTN", poll_freq_s=10.0))
    assert saved.updated_at == clock.now()
    clock.advance(timedelta(minutes=1))
    store.registration.save(Registration("ven-1", "reg-2", "VTN"))
    loaded = store.registration.load()
    assert loaded == Registration("ven-1", "reg-2", "VTN", None, clock.now())
    store.registration.clear()
    assert store.registration.load() is None


def test_event_round_trip(store, clock):
    """An event modification comes back as stored; the payload as JSON (datetimes as UTC ISO strings)."""
    saved = store.events.save(event(clock, test_event=True))
    assert saved.status is EventStatus.FAR
    assert saved.test_event
    assert saved.randomised_offset_s == 12.5
    assert saved.start == clock.now() + timedelta(minutes=30)
    assert saved.payload == {
        "event_id": "evt-1",
        "dtstart": "2025-01-15T17:30:00.000000+00:00",
        "duration": 3600.0,
        "signals": [1, 2],
    }
    assert not saved.answered
    assert store.events.get("missing") is None


def test_latest_modification_and_status(store, clock):
    """get() without a number is the latest modification; statuses filter latest() and pending()."""
    store.events.save(event(clock, 0))
    store.events.save(event(clock, 1, status=EventStatus.NEAR))
    store.events.save(event(clock, 0, event_id="evt-2", status=EventStatus.ACTIVE))
    latest = store.events.get("evt-1")
    assert latest is not None
    assert latest.modification_number == 1
    assert store.events.set_status("evt-1", EventStatus.CANCELLED)
    assert not store.events.set_status("nope", EventStatus.CANCELLED)
    assert [e.event_id for e in store.events.pending()] == ["evt-2"]
    assert [(e.event_id, e.status) for e in store.events.latest()] == [
        ("evt-1", EventStatus.CANCELLED),
        ("evt-2", EventStatus.ACTIVE),
    ]
    original = store.events.get("evt-1", 0)
    assert original is not None
    assert original.status is EventStatus.FAR


def test_each_modification_is_acknowledged_once(store, clock):
    """acknowledge() stamps the first acknowledgement only; a new modification needs its own."""
    store.events.save(
        event(clock, 0, opt=OptAnswer.OPT_IN, opt_reason="plan delivers 100%", opt_source="policy")
    )
    assert not store.events.is_answered("evt-1", 0)
    assert store.events.acknowledge("evt-1", 0)
    clock.advance(timedelta(seconds=5))
    assert not store.events.acknowledge("evt-1", 0)
    stored = store.events.get("evt-1", 0)
    assert stored is not None
    first = (OptAnswer.OPT_IN, "plan delivers 100%", "policy", clock.now() - timedelta(seconds=5))
    assert (stored.opt, stored.opt_reason, stored.opt_source, stored.answered_at) == first
    store.events.save(event(clock, 1))
    assert not store.events.is_answered("evt-1", 1)
    with pytest.raises(KeyError):
        store.events.acknowledge("evt-1", 7)


def test_saving_again_keeps_the_answer_unless_a_new_one_is_given(store, clock):
    """Re-saving without an answer (new status, re-received payload) keeps the stored answer and its
    acknowledgement; a record with an answer (an owner override, say) replaces it."""
    store.events.save(
        event(clock, 0, opt=OptAnswer.OPT_OUT, opt_reason="fleet unavailable", opt_source="policy")
    )
    store.events.acknowledge("evt-1", 0)
    resaved = store.events.save(event(clock, 0, status=EventStatus.ACTIVE))
    assert resaved.status is EventStatus.ACTIVE
    assert (resaved.opt, resaved.opt_reason, resaved.opt_source) == (
        OptAnswer.OPT_OUT,
        "fleet unavailable",
        "policy",
    )
    assert resaved.answered
    override = store.events.save(
        event(clock, 0, opt=OptAnswer.OPT_OUT, opt_reason="owner", opt_source="owner")
    )
    assert (override.opt, override.opt_reason, override.opt_source, override.answered) == (
        OptAnswer.OPT_OUT,
        "owner",
        "owner",
        True,
    )


def test_answers_survive_a_restart(db_url, clock):
    """A reopened store still has each answer and knows which modifications were acknowledged."""
    with Store.open(db_url, clock=clock) as store:
        store.events.save(event(clock, 0, opt=OptAnswer.OPT_IN, opt_reason="ok", opt_source="policy"))
        store.events.acknowledge("evt-1", 0)
    with Store.open(db_url, clock=clock) as store:
        assert store.events.is_answered("evt-1", 0)
        assert not store.events.acknowledge("evt-1", 0)
        stored = store.events.get("evt-1", 0)
        assert stored is not None
        assert (stored.opt, stored.opt_source) == (OptAnswer.OPT_IN, "policy")


def test_dispatch_decisions_round_trip(store, clock):
    """Decisions are kept in order with their per-EV setpoints; latest() finds the newest."""
    first = DispatchDecision("evt-1", 0, clock.now(), "optimal", 500.0, 480.0, {"ev1": -10.0, "ev2": 3.5})
    first_id = store.dispatch.record(first)
    t1, t2 = clock.now() + timedelta(seconds=10), clock.now() + timedelta(minutes=15)
    store.dispatch.record(DispatchDecision("evt-1", 0, t1, "optimal", 500.0, 500.0, {"ev1": -11.0}))
    store.dispatch.record(DispatchDecision("evt-1", 1, t2, "optimal", 400.0, 400.0))
    decisions = store.dispatch.for_event("evt-1")
    assert [d.interval_index for d in decisions] == [0, 0, 1]
    assert decisions[0].id == first_id
    assert decisions[0].setpoints_kw == {"ev1": -10.0, "ev2": 3.5}
    newest = store.dispatch.latest("evt-1", 0)
    assert newest is not None
    assert newest.planned_kw == 500.0
    newest_any = store.dispatch.latest("evt-1")
    assert newest_any is not None
    assert newest_any.interval_index == 1
    assert store.dispatch.latest("other") is None


def test_performance_rows_upsert(store, clock):
    """One row per event interval, updated in place as the interval runs."""
    start = clock.now()
    row = PerformanceRow("evt-1", 0, start, start + timedelta(minutes=15), requested_kw=500.0)
    store.performance.save(row)
    final = PerformanceRow(
        "evt-1",
        0,
        start,
        start + timedelta(minutes=15),
        500.0,
        delivered_kw=490.0,
        baseline_kw=800.0,
        measured_kw=310.0,
        exported_kwh=12.5,
        departure_socs={"ev1": 0.81},
    )
    clock.advance(timedelta(minutes=15))
    store.performance.save(final)
    [stored] = store.performance.for_event("evt-1")
    assert stored.delivered_kw == 490.0
    assert stored.departure_socs == {"ev1": 0.81}
    assert stored.updated_at == clock.now()
    assert stored.start == start


def test_transaction_is_all_or_nothing(store, clock):
    """Calls grouped in store.transaction() are rolled back together on error."""

    def failing_batch() -> None:
        with store.transaction():
            store.registration.save(Registration("ven-1", "reg-1", "VTN"))
            store.events.save(event(clock))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_batch()
    assert store.registration.load() is None
    assert store.events.get("evt-1") is None
    with store.transaction():
        store.registration.save(Registration("ven-1", "reg-1", "VTN"))
        store.events.save(event(clock))
    assert store.events.get("evt-1") is not None


def test_naive_datetimes_are_refused(store, clock):
    """Times without a UTC offset are refused rather than stored ambiguously."""
    with pytest.raises(ValueError, match="naive"):
        store.events.save(event(clock, start=clock.now().replace(tzinfo=None)))


def test_event_baseline_is_frozen_once_and_survives_a_reopen(db_url):
    """The first baseline stored for an event wins; a reopened store returns it unchanged."""
    start = datetime(2026, 7, 14, 20, 0, tzinfo=UTC)
    first = EventBaseline("e1", start, ("bus-1", "bus-2"), np.array([[60.0, 60.0], [30.5, 0.0]]))
    with Store.open(db_url) as store:
        store.baselines.save(first)
        store.baselines.save(EventBaseline("e1", start, ("bus-1", "bus-2"), np.zeros((2, 2))))
    with Store.open(db_url) as store:
        got = store.baselines.get("e1")
        assert got is not None
        assert got.ev_ids == ("bus-1", "bus-2")
        assert got.start == start
        assert got.baseline_kw.tolist() == [[60.0, 60.0], [30.5, 0.0]]
        assert store.baselines.get("other") is None
