"""OpenADR 2.0b conformance rules the event lifecycle implements, named after the rule they check.

Rule texts as quoted in homersoft/oadr2-ven-python test/test_conformance.py (rules 12, 18, 19, 22, 30,
36, 47, 48, 56-61, 65, 66) and OpenLEADR/openleadr-python test/conformance (rule 14).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ven.clock import ManualClock
from ven.events import Answer, AnswerSource, ChangeKind, EventBook, Opt
from ven.events.model import EventStatus as Live
from ven.events.model import ResponseRequired, Targets, VtnStatus

from .conftest import QUARTER, START, VEN_ID, distribution, known, make_event, opt_in, seeded


def test_conformance_012(book: EventBook) -> None:
    """The VEN must respond to an event in oadrDistributeEvent based upon the value in each event's
    oadrResponseRequired element as follows: Always – The VEN shall respond to the event with an
    oadrCreatedEvent eventResponse. This includes unchanged, new, changed, and cancelled events.
    Never – The VEN shall not respond to the event with a oadrCreatedEvent eventResponse.
    """
    always = make_event("a")
    never = make_event("n", response_required=ResponseRequired.NEVER)
    changes = {c.event_id: c for c in book.apply_distribution(distribution(always, never))}
    assert changes["a"].answer_due
    assert not changes["n"].answer_due


def test_conformance_014(book: EventBook, clock: ManualClock) -> None:
    """If currentValue is included in the payload, it MUST be set to 0 (normal) when the event status is
    not "active" for the SIMPLE signalName.
    """
    # A VTN rule; the VEN side: neither currentValue nor the VTN's eventStatus decides when an event
    # runs, the (randomised) times do.
    book.apply_distribution(distribution(make_event(status=VtnStatus.ACTIVE)))
    opt_in(book, "e1")
    assert book.status("e1", clock.now()) is Live.FAR
    assert book.active_at(clock.now()) is None
    assert book.active_at(START) is not None


def test_conformance_018(book: EventBook) -> None:
    """DR events with overlapping active periods may be issued, but only if they are from different
    marketContexts and only if the programs have a priority associated with them. DR events for
    programs with higher priorities supersede the events of programs with lower priorities. If two
    programs with overlapping events have the same priority then the program whose event was activated
    first takes priority.
    """
    none = make_event("p0", priority=0, start=START - QUARTER, market_context="a")
    low = make_event("p2", priority=2, start=START, market_context="b")
    high = make_event("p1", priority=1, start=START + QUARTER, market_context="c")
    later_same = make_event("p1-late", priority=1, start=START + 2 * QUARTER, market_context="d")
    book.apply_distribution(distribution(none, low, high, later_same))
    opt_in(book, "p0", "p2", "p1", "p1-late")

    def winner(t: datetime) -> str | None:
        view = book.active_at(t)
        return None if view is None else view.event_id

    assert winner(START - QUARTER / 2) == "p0"  # alone: priority 0 (none) still runs
    assert winner(START + QUARTER / 2) == "p2"  # any priority beats 0 = none
    assert winner(START + 3 * QUARTER) == "p1"  # 1 beats 2; same priority: earlier start wins


def test_conformance_019(book: EventBook, clock: ManualClock) -> None:
    """If an oadrDistributeEvent payload has as mix of valid and invalid events, the implementation
    shall only respond to the relevant valid events and not reject the entire message.
    """
    book.apply_distribution(distribution(make_event("bad-later"), make_event("good")))
    # "bad-later" is listed but no longer parses: it is neither dropped nor implied-cancelled.
    changes = book.apply_distribution(distribution(make_event("good", 1), extra_ids=("bad-later",)))
    assert [(c.event_id, c.kind) for c in changes] == [("good", ChangeKind.MODIFIED)]
    assert book.status("bad-later", clock.now()) is Live.FAR


def test_conformance_022(clock: ManualClock) -> None:
    """If no sub elements are present in oadrDistributeEvent eiTarget, the presumption is that the
    recipient is the intended target of the event. If multiple criteria are present in eiTarget
    subelements, the values are OR'd togther to determine whether the VEN is a target for the event.
    However, the VENs behavior with respect to responding to an event when it matches one of the
    eiTarget criteria is implementation dependent.
    """
    book = EventBook(
        VEN_ID,
        clock,
        seeded(1),
        resource_ids=frozenset({"fleet"}),
        group_ids=frozenset({"g"}),
        party_ids=frozenset({"p"}),
    )
    matching = [
        Targets(),
        Targets(ven_id=(VEN_ID,)),
        Targets(resource_id=("fleet",)),
        Targets(group_id=("g",)),
        Targets(party_id=("p",)),
        Targets(ven_id=("other",), group_id=("g",)),
    ]
    assert all(book.targets_us(t) for t in matching)
    assert not book.targets_us(Targets(ven_id=("other",), resource_id=("site-9",)))


def test_conformance_030(clock: ManualClock) -> None:
    """The VEN must randomize the dtstart time of the event if a value is present in the startafter
    element. Event completion times are determined by adding the event duration to the randomized
    dtstart time. Modifications to an event should maintain the same random offset, unless the
    startafter element itself is modified.
    """
    window = timedelta(minutes=10)
    book = EventBook(VEN_ID, clock, seeded(3))
    book.apply_distribution(distribution(make_event(startafter=window)))
    view = known(book, "e1")
    assert view is not None
    assert 0 < view.offset_s <= window.total_seconds()
    assert view.start == START + view.offset
    assert view.end == view.start + 4 * QUARTER
    book.apply_distribution(distribution(make_event(modification_number=1, startafter=window)))
    assert known(book, "e1").offset_s == view.offset_s
    book.apply_distribution(distribution(make_event(modification_number=2, startafter=2 * window)))
    assert known(book, "e1").offset_s != view.offset_s


def test_conformance_036(book: EventBook) -> None:
    """An event cancellation received by the VEN must be acknowledged with an oadrCreatedEvent with the
    optType element set as follows, unless the oadrResponseRequired is set to 'never': optIn = Confirm
    to cancellation optOut = Cannot cancel Note: Once an event cancellation is acknowledged by the VEN,
    the event shall not be included in subsequent oadrCreatedEvent payloads unless the VTN includes
    this event in a subsequent oadrDistributeEvent payload.
    """
    book.apply_distribution(distribution(make_event()))
    cancel = make_event(modification_number=1, status=VtnStatus.CANCELLED)
    [change] = book.apply_distribution(distribution(cancel))
    assert change.answer_due
    assert change.answer == Answer.opt_in("cancellation confirmed", AnswerSource.CANCELLATION)
    assert book.answer_for("e1", 1) == change.answer


def test_conformance_047(book: EventBook, clock: ManualClock) -> None:
    """An event with an overall duration of 0 indicates an event with no defined end time and will
    remain active until explicitly cancelled.
    """
    open_ended = make_event(values=(-100.0,), interval=timedelta(0))
    book.apply_distribution(distribution(open_ended))
    opt_in(book, "e1")
    assert book.status("e1", START + timedelta(days=30)) is Live.ACTIVE
    interval = book.current_interval(START + timedelta(days=30))
    assert interval is not None
    assert interval.end is None
    clock.set(START + timedelta(days=1))
    book.apply_distribution(
        distribution(
            make_event(
                values=(-100.0,), interval=timedelta(0), modification_number=1, status=VtnStatus.CANCELLED
            )
        )
    )
    assert book.status("e1", clock.now()) is Live.CANCELLED


def test_conformance_048(book: EventBook, clock: ManualClock) -> None:
    """When a VTN or VEN receives schema compliant oadr payload that has logical errors, the receiving
    device must provide an application layer error indication of 4xx. The detailed error message
    number is informational and not a requirement for response to a specific scenario. If the error
    is in an event contained in an oadrDistributeEvent payload, it should be reported in the
    eventResponse element of oadrCreatedEvent. The following logical errors must be detected by
    implementations: VEN receives non-matching market context VEN receives non-matching eiTarget VEN
    receives unsupported signalName VTN receives non-matching eventID in oadrCreatedEvent Response VTN
    receives mismatched modificationNumber in oadrCreatedEvent
    """
    other = make_event(targets=Targets(ven_id=("someone-else",)))
    [change] = book.apply_distribution(distribution(other))
    assert change.kind is ChangeKind.NOT_TARGETED
    assert change.answer is not None
    assert (change.answer.opt, change.answer.source) == (Opt.OUT, AnswerSource.TARGET)
    book.record_answer("e1", 0, Answer.opt_in())  # whatever else says yes: never dispatched
    assert book.status("e1", START) is Live.ACTIVE  # tracked ...
    assert book.active_at(START) is None  # ... never dispatched


def test_conformance_056(book: EventBook) -> None:
    """If the VTN sends an oadrEvent with an eventID that the VEN is not aware then it should process
    the event and add it to its list of known events
    """
    [change] = book.apply_distribution(distribution(make_event()))
    assert (change.kind, change.answer_due, change.replan, change.answer) == (
        ChangeKind.NEW,
        True,
        True,
        None,
    )
    assert book.get("e1") is not None


def test_conformance_057(book: EventBook) -> None:
    """If the VTN sends an oadrEvent with an eventID that the VEN is already aware of, but with a
    higher modification number then the VEN should replace the previous event with the new one In its
    list of known events.
    """
    book.apply_distribution(distribution(make_event()))
    [change] = book.apply_distribution(distribution(make_event(modification_number=1, values=(-300.0,) * 4)))
    assert (change.kind, change.replan) == (ChangeKind.MODIFIED, True)
    assert known(book, "e1").event.signals[0].intervals[0].value == -300.0
    assert book.apply_distribution(distribution(make_event(modification_number=1))) == []


def test_conformance_058(book: EventBook) -> None:
    """If the VTN sends an oadrEvent with an eventID that the VEN is already aware of, but which has a
    lower modification number than one in which the VEN is already aware then this is an ERROR and the
    VEN should respond with the appropriate error code. Note that this is true regardless of the event
    state including cancelled.
    """
    book.apply_distribution(distribution(make_event(modification_number=5)))
    for status in (VtnStatus.FAR, VtnStatus.CANCELLED):
        stale = make_event(modification_number=3, status=status)
        [change] = book.apply_distribution(distribution(stale))
        assert change.kind is ChangeKind.STALE_REFUSED
        assert change.answer is not None
        assert (change.answer.opt, change.answer.source) == (Opt.OUT, AnswerSource.SEQUENCE)
        assert known(book, "e1").modification_number == 5
        assert known(book, "e1").cancel_at is None


def test_conformance_059(book: EventBook, clock: ManualClock) -> None:
    """If the VTN sends an oadrEvent with the eventStatus set to cancelled and has an eventID that the
    VEN is aware of then the VEN should cancel the existing event and delete it from its list of known
    events.
    """
    book.apply_distribution(distribution(make_event()))
    opt_in(book, "e1")
    assert book.active_at(START) is not None
    [change] = book.apply_distribution(
        distribution(make_event(modification_number=1, status=VtnStatus.CANCELLED))
    )
    assert (change.kind, change.replan) == (ChangeKind.CANCELLED, True)
    assert book.status("e1", clock.now()) is Live.CANCELLED  # not started: cancelled at once
    assert book.active_at(START) is None
    book.apply_distribution(distribution())  # no longer listed: forgotten
    assert book.get("e1") is None


def test_conformance_060(book: EventBook) -> None:
    """If the VTN sends an oadrEvent with the eventStatus set to cancelled and has an eventID that the
    VEN is not aware of then the VEN should ignore the event since it is not currently in its list of
    known events, but still must respond with the createdEvent if required to do so by
    oadrResponseRequired
    """
    cancelled = make_event(status=VtnStatus.CANCELLED)
    [change] = book.apply_distribution(distribution(cancelled))
    assert (change.kind, change.answer_due, change.replan) == (ChangeKind.CANCELLED, True, False)
    assert book.get("e1") is None
    assert book.answer_for("e1", 0) == Answer.opt_in("cancellation confirmed", AnswerSource.CANCELLATION)


def test_conformance_061(book: EventBook, clock: ManualClock) -> None:
    """If the VTN sends the oadrDistributeEvent payload and it does not contain an event for which the
    VEN is aware (i.e. in its list of known events) then the VEN must delete it from its list of known
    event (i.e. implied cancel). Exception: A VEN that has an active event that cannot be immediately
    stopped for operational reasons, may leave the event in its data store until the event expires or
    the event can be stopped.
    """
    book.apply_distribution(distribution(make_event("kept"), make_event("gone")))
    [change] = book.apply_distribution(distribution(make_event("kept")))
    assert (change.event_id, change.kind, change.answer_due) == ("gone", ChangeKind.IMPLIED_CANCEL, False)
    assert book.status("gone", clock.now()) is Live.CANCELLED
    assert book.apply_distribution(distribution(make_event("kept"))) == []
    assert book.get("gone") is None


def test_conformance_065(clock: ManualClock) -> None:
    """When an event containing a randomization value in the startafter element is cancelled, either
    explicitly or implicitly, the VEN MUST randomize its termination of the event. The randomization
    window should be between 0 and a duration equal to the value specified in startafter.
    """
    window = timedelta(minutes=5)
    for seed in range(50):
        book = EventBook(VEN_ID, clock, seeded(seed))
        clock.set(START - timedelta(hours=1))
        book.apply_distribution(
            distribution(make_event("x", startafter=window), make_event("i", startafter=window))
        )
        clock.set(START + timedelta(minutes=20))  # both started, whatever their offsets
        book.apply_distribution(
            distribution(make_event("x", 1, startafter=window, status=VtnStatus.CANCELLED))
        )
        for event_id in ("x", "i"):  # explicit and implied
            cancel_at = known(book, event_id).cancel_at
            assert cancel_at is not None
            assert clock.now() <= cancel_at <= clock.now() + window
            assert book.status(event_id, clock.now()) is Live.ACTIVE  # still terminating
            assert book.status(event_id, cancel_at) is Live.CANCELLED


def test_conformance_066(book: EventBook, clock: ManualClock) -> None:
    """If a VTN sends an oadrDistributeEvent payload containing an event with a startafter element with
    a value greater than zero, the VTN must continue to include the event in oadrDistributeEvent
    payloads, even if the event is complete, until current time is equal to dtStart plus duration plus
    startafter. The receipt of an eventStatus equal to completed shall not cause the VEN to change its
    operational status with respect to executing the event.
    """
    window = timedelta(minutes=10)
    book.apply_distribution(distribution(make_event(startafter=window)))
    view = known(book, "e1")
    clock.set(START + 4 * QUARTER)  # the VTN's end; ours is later by the offset
    book.apply_distribution(
        distribution(make_event(modification_number=1, startafter=window, status=VtnStatus.COMPLETED))
    )
    assert view.offset_s > 0
    assert book.status("e1", clock.now()) is Live.ACTIVE
    assert view.end is not None
    assert book.status("e1", view.end) is Live.COMPLETED
