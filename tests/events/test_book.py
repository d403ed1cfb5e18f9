"""EventBook behaviour beyond the named conformance rules: statuses, intervals, wakeups, answers."""

from __future__ import annotations

from datetime import timedelta

from ven.clock import ManualClock
from ven.events import Answer, AnswerSource, ChangeKind, EventBook, Opt, Transition
from ven.events.model import EventStatus as Live
from ven.events.model import Targets, VtnStatus

from .conftest import QUARTER, START, T0, VEN_ID, distribution, known, make_event, opt_in, seeded

RAMP = timedelta(minutes=10)


def test_status_runs_far_near_active_completed(book: EventBook) -> None:
    """With a ramp-up the status goes far, near (ramp-up before start), active, completed."""
    book.apply_distribution(distribution(make_event(ramp_up=RAMP)))
    end = START + 4 * QUARTER
    assert [book.status("e1", t) for t in (T0, START - RAMP, START, end - QUARTER, end)] == [
        Live.FAR,
        Live.NEAR,
        Live.ACTIVE,
        Live.ACTIVE,
        Live.COMPLETED,
    ]
    assert book.transitions(T0, end + QUARTER) == [
        Transition("e1", Live.NEAR, START - RAMP),
        Transition("e1", Live.ACTIVE, START),
        Transition("e1", Live.COMPLETED, end),
    ]


def test_no_near_window_without_ramp_up(book: EventBook) -> None:
    """Without x-eiRampUp an event goes straight from far to active."""
    book.apply_distribution(distribution(make_event()))
    assert [tr.status for tr in book.transitions(T0, START)] == [Live.ACTIVE]
    assert book.status("e1", START - timedelta(seconds=1)) is Live.FAR
    assert book.status("unknown", START) is None


def test_next_wakeups_cover_near_intervals_and_end(book: EventBook) -> None:
    """Wakeups are the near start, every interval start and the end, after the given time."""
    book.apply_distribution(distribution(make_event(ramp_up=RAMP)))
    expected = [START - RAMP] + [START + k * QUARTER for k in range(5)]
    assert book.next_wakeups(T0) == expected
    assert book.next_wakeups(START) == expected[2:]


def test_current_interval_uses_randomised_times(clock: ManualClock) -> None:
    """Intervals start at dtstart plus the drawn offset."""
    book = EventBook(VEN_ID, clock, seeded(11))
    book.apply_distribution(distribution(make_event(startafter=timedelta(minutes=5))))
    opt_in(book, "e1")
    view = known(book, "e1")
    assert view.offset_s > 0
    assert book.current_interval(START) is None  # dtstart itself is before the effective start
    interval = book.current_interval(view.start + QUARTER + timedelta(seconds=1))
    assert interval is not None
    assert (interval.index, interval.start, interval.end) == (
        1,
        view.start + QUARTER,
        view.start + 2 * QUARTER,
    )


def test_offsets_stay_within_startafter_and_replay_with_the_seed(clock: ManualClock) -> None:
    """Every drawn offset lies in [0, startafter]; the same seed draws the same offsets."""
    window = timedelta(minutes=3)
    events = [make_event(f"e{k}", startafter=window) for k in range(200)]

    def offsets(seed: int) -> list[float]:
        book = EventBook(VEN_ID, clock, seeded(seed))
        book.apply_distribution(distribution(*events))
        return [v.offset_s for v in sorted(book.views(), key=lambda v: v.event_id)]

    drawn = offsets(5)
    assert all(0.0 <= s <= window.total_seconds() for s in drawn)
    assert len(set(drawn)) > 150  # really random, not one value
    assert offsets(5) == drawn
    assert offsets(6) != drawn


def test_cancelling_before_the_start_is_immediate_even_with_startafter(
    book: EventBook, clock: ManualClock
) -> None:
    """Randomised termination applies to a started event only; before the start it is cancelled now."""
    window = timedelta(minutes=5)
    book.apply_distribution(distribution(make_event(startafter=window)))
    book.apply_distribution(
        distribution(make_event(modification_number=1, startafter=window, status=VtnStatus.CANCELLED))
    )
    assert known(book, "e1").cancel_at == clock.now()
    assert book.next_wakeups(clock.now()) == []  # nothing left to happen


def test_cancellation_cuts_the_intervals(book: EventBook, clock: ManualClock) -> None:
    """A started event cancelled without startafter stops at once; its intervals end there."""
    book.apply_distribution(distribution(make_event()))
    opt_in(book, "e1")
    clock.set(START + QUARTER + timedelta(minutes=5))
    assert book.active_at(clock.now()) is not None
    book.apply_distribution(distribution(make_event(modification_number=1, status=VtnStatus.CANCELLED)))
    view = known(book, "e1")
    assert [i.index for i in view.intervals()] == [0, 1]
    assert view.intervals()[-1].end == clock.now()
    assert book.active_at(clock.now()) is None


def test_test_events_are_tracked_not_dispatched(book: EventBook) -> None:
    """A test event gets a status and an answer, but never the fleet."""
    [change] = book.apply_distribution(distribution(make_event(test_event=True)))
    assert (change.kind, change.answer_due) == (ChangeKind.NEW, True)
    assert book.status("e1", START) is Live.ACTIVE
    assert not known(book, "e1").dispatchable
    assert book.active_at(START) is None


def test_only_an_event_answered_opt_in_is_dispatched(book: EventBook) -> None:
    """Undecided, an event is not dispatched; optIn dispatches it; an optOut stops it; the answer is kept."""
    book.apply_distribution(distribution(make_event()))
    assert book.answer_for("e1", 0) is None
    assert book.active_at(START) is None  # the decision may take a planning run: nothing before it
    book.record_answer("e1", 0, Answer.opt_in("plan delivers 100%"))
    assert known(book, "e1") == book.active_at(START)
    answer = Answer.opt_out("plan delivers 76% of the requested 500.0 kWh")
    book.record_answer("e1", 0, answer)
    assert book.active_at(START) is None
    assert book.answer_for("e1", 0) == answer
    assert known(book, "e1").answer == answer
    assert book.answer_for("e1", 1) is None  # no such modification


def test_a_modification_keeps_running_until_it_is_decided(book: EventBook) -> None:
    """A modified opted-in event stays dispatched until its new modification is answered (no release)."""
    book.apply_distribution(distribution(make_event()))
    book.record_answer("e1", 0, Answer.opt_in())
    book.apply_distribution(distribution(make_event(modification_number=1, values=(-400.0,) * 4)))
    view = known(book, "e1")
    assert (view.modification_number, view.answer, view.opt) == (1, None, Opt.IN)
    assert book.active_at(START) == view
    assert book.answer_for("e1", 1) is None  # still to decide
    book.record_answer("e1", 1, Answer.opt_out("plan delivers 10%"))
    assert book.active_at(START) is None


def test_cancel_confirmation_keeps_an_opt_out(book: EventBook, clock: ManualClock) -> None:
    """Confirming a cancellation (optIn) does not make an opted-out event dispatchable again."""
    book.apply_distribution(distribution(make_event(startafter=timedelta(minutes=5))))
    book.record_answer("e1", 0, Answer.opt_out("no"))
    clock.set(START + timedelta(minutes=20))
    [change] = book.apply_distribution(
        distribution(
            make_event(modification_number=1, startafter=timedelta(minutes=5), status=VtnStatus.CANCELLED)
        )
    )
    assert change.answer == Answer.opt_in("cancellation confirmed", AnswerSource.CANCELLATION)
    assert book.record_answer("e1", 1, change.answer) is None  # no answer to the event itself
    assert known(book, "e1").opt is Opt.OUT
    assert book.active_at(clock.now()) is None


def test_retargeting_away_stops_a_known_event(book: EventBook) -> None:
    """A modification that no longer targets this VEN re-plans (drops) the event."""
    book.apply_distribution(distribution(make_event()))
    book.record_answer("e1", 0, Answer.opt_in())
    assert book.active_at(START) is not None
    [change] = book.apply_distribution(
        distribution(make_event(modification_number=1, targets=Targets(ven_id=("other",))))
    )
    assert (change.kind, change.replan) == (ChangeKind.NOT_TARGETED, True)
    assert book.active_at(START) is None
    answer = book.answer_for("e1", 1)
    assert answer is not None
    assert (answer.opt, answer.source) == (Opt.OUT, AnswerSource.TARGET)


def test_untargeted_until_registered(clock: ManualClock) -> None:
    """Before registration (no venID yet) only untargeted or resource/group/party matches count."""
    book = EventBook(None, clock, seeded(1))
    assert not book.targets_us(Targets(ven_id=(VEN_ID,)))
    book.ven_id = VEN_ID
    assert book.targets_us(Targets(ven_id=(VEN_ID,)))
