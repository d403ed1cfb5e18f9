"""The VEN's event lifecycle (openleadr has none): what events exist, when they run, what to answer.

Pure core, synchronous, no I/O; time from an injected Clock, randomness from an injected Random:

    book = EventBook(ven_id, clock, random.Random(seed), resource_ids=frozenset({"fleet"}),
                     group_ids=frozenset(), party_ids=frozenset())
    book.restore(store.events.latest())                  # after a restart: offsets, cancels, answers
    changes = book.apply_distribution(distribution)      # -> list[Change], one per affected event
    book.decision_for(event) -> OptDecision | None       # fixed answer (cancel 36/60, stale 58 → 450,
                                                         # untargeted 48 → 462) or one already given
    decide(event, request, deliverable_kw, share=1.0)    # otherwise: optIn iff deliverable (opt.py)
    book.record_answer(event_id, modification_number, decision)   # an optOut stops dispatch
    book.status(event_id, t) -> EventStatus | None       # far / near / active / completed / cancelled
    book.transitions(from_t, to_t) -> list[Transition]   # (event_id, status, at), by time
    book.active_at(t) -> EventView | None                # priority 1 highest, 0 lowest; then earliest
    book.current_interval(t) -> IntervalView | None      # (view, index, start, end), effective times
    book.next_wakeups(after_t) -> list[datetime]
    to_record(view, status) -> EventRecord               # what to save (serde.py; to_json/from_json)

EventView (view.py) is one event as executed: `start`/`end` shifted by `offset_s` (drawn once within
tolerance.startafter), `cancel_at`, `targeted`, `dispatchable` (targeted, not a test event, not
opted out), `intervals()`, `offset` for ven.openadr.signals.event_request(offset=...).

LifecycleScheduler (schedule.py) runs the book along the clock and awaits
on_status(event_id, status), on_event_end(view) and on_interval_start(view, k); call `reschedule()`
after apply_distribution / record_answer. Statuses are ven.storage.EventStatus values.
"""

from ven.events.book import Change, ChangeKind, EventBook, Transition
from ven.events.opt import decide
from ven.events.schedule import LifecycleScheduler
from ven.events.serde import from_json, to_json, to_record, view_from_record
from ven.events.view import EventView, IntervalView

__all__ = [
    "Change",
    "ChangeKind",
    "EventBook",
    "EventView",
    "IntervalView",
    "LifecycleScheduler",
    "Transition",
    "decide",
    "from_json",
    "to_json",
    "to_record",
    "view_from_record",
]
