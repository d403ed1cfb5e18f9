"""The VEN's event lifecycle (openleadr has none): what events exist, when they run, what to answer.

Pure core, synchronous, no I/O; time from an injected Clock, randomness from an injected Random:

    book = EventBook(ven_id, clock, random.Random(seed), resource_ids=frozenset({"fleet"}),
                     group_ids=frozenset(), party_ids=frozenset())
    book.restore(store.events.pending())                 # after a restart: offsets, cancels, answers
    changes = book.apply_distribution(distribution)      # -> list[Change], one per affected event
    book.answer_for(event_id, modification_number)       # -> Answer | None: fixed by the lifecycle
                                                         # (cancel 36/60, stale 58, untargeted 48) or
                                                         # recorded; None = still to decide
    decide(event_id, modification, outlook, share)       # the plan's answer: Outlook.share >= share
    book.record_answer(event_id, modification_number, answer)   # every answer; optOut stops dispatch
    book.status(event_id, t) -> EventStatus | None       # far / near / active / completed / cancelled
    book.transitions(from_t, to_t) -> list[Transition]   # (event_id, status, at), by time
    book.active_at(t) -> EventView | None                # priority 1 highest, 0 lowest; then earliest
    book.current_interval(t) -> IntervalView | None      # (view, index, start, end), effective times
    book.next_wakeups(after_t) -> list[datetime]
    to_record(view, status) -> EventRecord               # what to save (serde.py; to_json/from_json)

EventView (view.py) is one event as executed: `start`/`end` shifted by `offset_s` (drawn once within
tolerance.startafter), `cancel_at`, `targeted`, `answer`, `dispatchable` (targeted, not a test event,
opted in), `intervals()`, `offset` for ven.events.signals.event_request(offset=...).
Answer, Opt, AnswerSource and the Decider hook (answers.py) are protocol-neutral; docs/events.md says
how the VEN decides and where answers live.

LifecycleScheduler (schedule.py) runs the book along the clock and awaits
on_status(event_id, status), on_event_end(view) and on_interval_start(view, k); call `reschedule()`
after apply_distribution / record_answer. Statuses are ven.events.model.EventStatus
values; the event itself is our own DrEvent (model.py), which each protocol edge builds once.
"""

from ven.events.answers import Answer, AnswerSource, Decider, Opt, answer_test_events
from ven.events.book import Change, ChangeKind, EventBook, Transition
from ven.events.opt import Outlook, decide
from ven.events.schedule import LifecycleScheduler
from ven.events.serde import from_json, to_json, to_record, view_from_record
from ven.events.view import EventView, IntervalView

__all__ = [
    "Answer",
    "AnswerSource",
    "Change",
    "ChangeKind",
    "Decider",
    "EventBook",
    "EventView",
    "IntervalView",
    "LifecycleScheduler",
    "Opt",
    "Outlook",
    "Transition",
    "answer_test_events",
    "decide",
    "from_json",
    "to_json",
    "to_record",
    "view_from_record",
]
