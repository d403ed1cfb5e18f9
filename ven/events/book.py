"""EventBook: the VEN's list of known events as a pure, synchronous state machine (no I/O).

Time comes from the injected Clock (read once per `apply_distribution`), randomness from the injected
`random.Random`, so a seeded book replays exactly. Rules (OpenADR 2.0b conformance rule numbers):
new event → known (56); higher modificationNumber → replaced (57); equal → nothing; lower → refused,
answered 450 and the known event kept (58); cancelled → stopped, answered optIn (36, 59), also when
unknown (60, not stored); known but absent from a distribution → implied cancel, no answer (61);
cancellation of a started event with startafter is randomised within startafter (65); the start is
randomised within startafter, and the offset kept across modifications unless startafter changes (30);
eiTarget criteria are OR'd, no criteria = us (22); a non-matching target is answered 462 optOut (48).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from ven.events.answers import Answer, AnswerSource
from ven.events.model import Distribution, DrEvent, ResponseRequired, Targets, VtnStatus
from ven.events.model import EventStatus as LiveStatus
from ven.events.serde import view_from_record
from ven.events.view import EventView, IntervalView

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ven.clock import Clock
    from ven.storage.records import EventRecord

logger = logging.getLogger(__name__)

DEFAULT_RESOURCES = frozenset({"fleet"})
_FINISHED = (LiveStatus.COMPLETED, LiveStatus.CANCELLED)


class ChangeKind(StrEnum):
    NEW = "new"
    MODIFIED = "modified"
    CANCELLED = "cancelled"
    IMPLIED_CANCEL = "implied_cancel"
    STALE_REFUSED = "stale_refused"
    NOT_TARGETED = "not_targeted"


@dataclass(frozen=True, slots=True)
class Change:
    """What one event of a distribution did to the book.

    `answer_due`: an oadrCreatedEvent eventResponse is owed for (event_id, modification_number).
    `answer`: the answer the lifecycle fixes (cancel confirm, stale 450, target mismatch 462); None
    means the runtime decides (its deciders, then the plan) and records it with `record_answer`.
    `replan`: the dispatch plan for this event must be (re)computed or dropped.
    """

    kind: ChangeKind
    event_id: str
    modification_number: int
    answer_due: bool
    replan: bool
    answer: Answer | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    """Event `event_id` entered `status` at `at`."""

    event_id: str
    status: LiveStatus
    at: datetime


class EventBook:
    """Known events, their randomised times, live statuses and answers.

    The one place for answers: the answer to each known event's live modification is its view's
    `answer` (persisted with the view); the answers the lifecycle fixes (cancellation confirmed, an
    older modification refused, a foreign target) are derived from the events themselves.
    """

    def __init__(
        self,
        ven_id: str | None,
        clock: Clock,
        rng: random.Random,
        *,
        resource_ids: frozenset[str] = DEFAULT_RESOURCES,
        group_ids: frozenset[str] = frozenset(),
        party_ids: frozenset[str] = frozenset(),
    ) -> None:
        self.ven_id = ven_id  # settable: known only after registration
        self._clock = clock
        self._rng = rng
        self._resource_ids = resource_ids
        self._group_ids = group_ids
        self._party_ids = party_ids
        self._views: dict[str, EventView] = {}
        self._imposed: dict[tuple[str, int], Answer] = {}  # for the distribution being answered

    # -- reading ---------------------------------------------------------------------------------

    def get(self, event_id: str) -> EventView | None:
        return self._views.get(event_id)

    def views(self) -> list[EventView]:
        """Every known event, by effective start."""
        return sorted(self._views.values(), key=lambda v: (v.start, v.event_id))

    def status(self, event_id: str, t: datetime) -> LiveStatus | None:
        """The live status of a known event at `t`; None for an unknown one."""
        view = self._views.get(event_id)
        return None if view is None else view.status(t)

    def transitions(self, from_t: datetime, to_t: datetime) -> list[Transition]:
        """Status changes in (from_t, to_t], by time."""
        found: list[Transition] = []
        for view in self._views.values():
            previous = view.status(from_t)
            for at in view.boundaries():
                if from_t < at <= to_t and (status := view.status(at)) is not previous:
                    found.append(Transition(view.event_id, status, at))
                    previous = status
        return sorted(found, key=lambda tr: (tr.at, tr.event_id))

    def active_at(self, t: datetime) -> EventView | None:
        """The dispatchable event in force at `t`: highest priority (1 highest, 0 = none = lowest),
        then the one that started first (rule 18), then event id for determinism."""
        running = [v for v in self._views.values() if v.dispatchable and v.status(t) is LiveStatus.ACTIVE]
        return min(running, key=_precedence, default=None)

    def current_interval(self, t: datetime) -> IntervalView | None:
        """The interval of `active_at(t)` covering `t`, in effective (randomised) time."""
        view = self.active_at(t)
        return None if view is None else view.interval_at(t)

    def next_wakeups(self, after_t: datetime) -> list[datetime]:
        """Every instant after `after_t` where a status or an interval changes."""
        times = {at for view in self._views.values() for at in view.boundaries() if at > after_t}
        return sorted(times)

    def answer_for(self, event_id: str, modification_number: int) -> Answer | None:
        """The answer to this modification: fixed by the lifecycle, or recorded; None while undecided."""
        imposed = self._imposed.get((event_id, modification_number))
        if imposed is not None:
            return imposed
        view = self._views.get(event_id)
        if view is None or view.modification_number != modification_number:
            return None
        if view.event.event_status is VtnStatus.CANCELLED:
            return _confirmation()
        if not view.targeted:
            return _mismatch()
        return view.answer

    # -- changing --------------------------------------------------------------------------------

    def record_answer(self, event_id: str, modification_number: int, answer: Answer) -> EventView | None:
        """Keep the answer to the live modification (an optOut makes the event non-dispatchable); the
        view to persist, or None when there is nothing new to keep (the same answer again, an unknown or
        older modification, or the confirmation of a cancellation, which is no answer to the event
        itself: it keeps its own)."""
        view = self._views.get(event_id)
        if (
            view is None
            or view.modification_number != modification_number
            or view.event.event_status is VtnStatus.CANCELLED
            or view.answer == answer
        ):
            return None
        if view.answer is not None and view.answer != answer:
            logger.info(
                "event %s modification %d: answer changed from %s (%s) to %s (%s)",
                event_id,
                modification_number,
                view.answer.opt.value,
                view.answer.source.value,
                answer.opt.value,
                answer.source.value,
            )
        view = replace(view, answer=answer)
        self._views[event_id] = view
        return view

    def apply_distribution(self, distribution: Distribution) -> list[Change]:
        """Apply one oadrDistributeEvent (always the complete list of the VEN's events)."""
        now = self._clock.now()
        self._imposed.clear()
        changes = [c for e in distribution.events if (c := self._apply(e, now)) is not None]
        listed = set(distribution.event_ids) | {e.event_id for e in distribution.events}
        for event_id in [i for i in self._views if i not in listed]:
            change = self._absent(event_id, now)
            if change is not None:
                changes.append(change)
        return changes

    def restore(self, records: Iterable[EventRecord]) -> None:
        """Load persisted events (latest modification wins) with their offsets, cancellations and
        answers, so a restarted VEN resumes them and never decides a modification twice."""
        for record in sorted(records, key=lambda r: r.modification_number):
            view = view_from_record(record)
            self._views[record.event_id] = replace(view, targeted=self.targets_us(view.event.targets))

    def targets_us(self, targets: Targets) -> bool:
        """eiTarget criteria are OR'd; no criteria at all means every VEN (rule 22)."""
        if not (targets.ven_id or targets.resource_id or targets.group_id or targets.party_id):
            return True
        return bool(
            (self.ven_id is not None and self.ven_id in targets.ven_id)
            or self._resource_ids.intersection(targets.resource_id)
            or self._group_ids.intersection(targets.group_id)
            or self._party_ids.intersection(targets.party_id)
        )

    # -- rules -----------------------------------------------------------------------------------

    def _apply(self, event: DrEvent, now: datetime) -> Change | None:
        known = self._views.get(event.event_id)
        due = event.response_required is ResponseRequired.ALWAYS
        if known is not None and event.modification_number < known.modification_number:
            reason = (
                f"modification {event.modification_number} is older than the known "
                f"{known.modification_number}; kept the known one"
            )
            logger.warning("event %s: %s", event.event_id, reason)
            return self._impose(
                event,
                ChangeKind.STALE_REFUSED,
                due,
                replan=False,
                answer=Answer.opt_out(reason, AnswerSource.SEQUENCE),
            )
        if known is not None and event.modification_number == known.modification_number:
            return None
        if event.event_status is VtnStatus.CANCELLED:
            confirm = _confirmation()
            if known is None:  # rule 60: not added to the known events, still answered
                return self._impose(event, ChangeKind.CANCELLED, due, replan=False, answer=confirm)
            self._views[event.event_id] = self._cancelled(replace(known, event=event), now)
            return self._impose(event, ChangeKind.CANCELLED, due, replan=True, answer=confirm)
        targeted = self.targets_us(event.targets)
        standing = None if known is None else known.opt
        view = EventView(event, self._offset_s(event, known), targeted, standing=standing)
        self._views[event.event_id] = view
        if not targeted:
            logger.info("event %s: %s", event.event_id, _NOT_TARGETED)
            return self._impose(
                event, ChangeKind.NOT_TARGETED, due, replan=known is not None, answer=_mismatch()
            )
        kind = ChangeKind.NEW if known is None else ChangeKind.MODIFIED
        return Change(kind, event.event_id, event.modification_number, due, replan=True)

    def _absent(self, event_id: str, now: datetime) -> Change | None:
        view = self._views[event_id]
        if view.status(now) in _FINISHED:
            del self._views[event_id]  # rule 61: no longer a known event
            return None
        if view.cancel_at is not None:
            return None  # already being cancelled: its randomised termination stands
        self._views[event_id] = self._cancelled(view, now)
        logger.info("event %s: absent from the distribution, implied cancellation", event_id)
        return Change(
            ChangeKind.IMPLIED_CANCEL,
            event_id,
            view.modification_number,
            answer_due=False,
            replan=True,
            reason="absent from the distribution",
        )

    def _cancelled(self, view: EventView, now: datetime) -> EventView:
        """Cancel now if not started; once started, stop at a random point within startafter (65)."""
        if view.cancel_at is not None:
            return view
        window = view.event.startafter or timedelta(0)
        delay = self._rng.uniform(0.0, window.total_seconds()) if now >= view.start and window else 0.0
        return replace(view, cancel_at=now + timedelta(seconds=delay))

    def _offset_s(self, event: DrEvent, known: EventView | None) -> float:
        if known is not None and known.event.startafter == event.startafter:
            return known.offset_s
        window = event.startafter or timedelta(0)
        return self._rng.uniform(0.0, window.total_seconds()) if window else 0.0

    def _impose(self, event: DrEvent, kind: ChangeKind, due: bool, *, replan: bool, answer: Answer) -> Change:
        self._imposed[(event.event_id, event.modification_number)] = answer
        return Change(kind, event.event_id, event.modification_number, due, replan, answer, answer.reason)


_NOT_TARGETED = "event targets none of this VEN's ids, resources, groups or parties"


def _mismatch() -> Answer:
    # Rule 48: a non-matching eiTarget is a logical error, reported 4xx in the eventResponse.
    return Answer.opt_out(_NOT_TARGETED, AnswerSource.TARGET)


def _confirmation() -> Answer:
    # Rules 36 and 60: a cancellation is answered optIn, known or not.
    return Answer.opt_in("cancellation confirmed", AnswerSource.CANCELLATION)


def _precedence(view: EventView) -> tuple[int, datetime, str]:
    # OpenADR priority: lower number = higher priority, 0 = no priority = lowest of all.
    priority = view.event.priority if view.event.priority > 0 else 2**31
    return (priority, view.start, view.event_id)
