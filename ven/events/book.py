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

from ven.events.serde import view_from_record
from ven.events.view import EventView, IntervalView
from ven.openadr.models import (
    Distribution,
    EventStatus,
    OadrEvent,
    OptDecision,
    OptType,
    ResponseCode,
    ResponseRequired,
    Targets,
)
from ven.storage.records import EventStatus as LiveStatus

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
    `decision`: the answer the lifecycle fixes (cancel confirm, stale 450, target mismatch 462); None
    means the runtime decides (ven.events.opt.decide) and reports it with `record_answer`.
    `replan`: the dispatch plan for this event must be (re)computed or dropped.
    """

    kind: ChangeKind
    event_id: str
    modification_number: int
    answer_due: bool
    replan: bool
    decision: OptDecision | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    """Event `event_id` entered `status` at `at`."""

    event_id: str
    status: LiveStatus
    at: datetime


class EventBook:
    """Known events, their randomised times, live statuses and answers."""

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
        self._answers: dict[tuple[str, int], OptDecision] = {}
        self._imposed: dict[tuple[str, int], OptDecision] = {}

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

    def decision_for(self, event: OadrEvent) -> OptDecision | None:
        """The answer for this (event, modification) if the lifecycle fixes it or it was given already;
        None when the runtime must decide."""
        key = (event.event_id, event.modification_number)
        found = self._imposed.get(key) or self._answers.get(key)
        view = self._views.get(event.event_id)
        if found is None and view is not None and view.modification_number == key[1] and not view.targeted:
            found = _mismatch()
        return found

    def is_answered(self, event_id: str, modification_number: int) -> bool:
        return (event_id, modification_number) in self._answers

    def answer(self, event_id: str, modification_number: int) -> OptDecision | None:
        """The answer given (or imposed) for this modification, with its reason; None before one."""
        key = (event_id, modification_number)
        return self._answers.get(key) or self._imposed.get(key)

    # -- changing --------------------------------------------------------------------------------

    def record_answer(self, event_id: str, modification_number: int, decision: OptDecision) -> None:
        """Remember the answer given; an optOut makes the event non-dispatchable."""
        self._answers[(event_id, modification_number)] = decision
        view = self._views.get(event_id)
        # The confirmation of a cancellation is no answer to the event itself: it keeps its opt.
        if (
            view is not None
            and view.modification_number == modification_number
            and view.event.event_status is not EventStatus.CANCELLED
        ):
            self._views[event_id] = replace(view, opt=decision.opt)

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
        answers, so a restarted VEN resumes them and does not answer a modification twice."""
        for record in sorted(records, key=lambda r: r.modification_number):
            event_id, number = record.event_id, record.modification_number
            view = view_from_record(record)
            self._views[event_id] = replace(view, targeted=self.targets_us(view.event.targets))
            if record.answered and record.opt is not None:
                self._answers[(event_id, number)] = OptDecision(
                    OptType(record.opt.value), record.opt_reason or "OK"
                )

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

    def _apply(self, event: OadrEvent, now: datetime) -> Change | None:
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
                decision=OptDecision.opt_out(reason, ResponseCode.OUT_OF_SEQUENCE),
            )
        if known is not None and event.modification_number == known.modification_number:
            return None
        if event.event_status is EventStatus.CANCELLED:
            confirm = OptDecision.opt_in("cancellation confirmed")
            if known is None:  # rule 60: not added to the known events, still answered
                return self._impose(event, ChangeKind.CANCELLED, due, replan=False, decision=confirm)
            self._views[event.event_id] = self._cancelled(replace(known, event=event), now)
            return self._impose(event, ChangeKind.CANCELLED, due, replan=True, decision=confirm)
        targeted = self.targets_us(event.targets)
        view = EventView(event, self._offset_s(event, known), targeted)
        self._views[event.event_id] = view
        if not targeted:
            logger.info("event %s: %s", event.event_id, _NOT_TARGETED)
            return self._impose(
                event, ChangeKind.NOT_TARGETED, due, replan=known is not None, decision=_mismatch()
            )
        kind = ChangeKind.NEW if known is None else ChangeKind.MODIFIED
        return Change(
            kind,
            event.event_id,
            event.modification_number,
            due,
            replan=True,
            decision=self._answers.get((event.event_id, event.modification_number)),
        )

    def _absent(self, event_id: str, now: datetime) -> Change | None:
        view = self._views[event_id]
        if view.status(now) in _FINISHED:
            del self._views[event_id]  # rule 61: no longer a known event
            self._forget(event_id)
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

    def _offset_s(self, event: OadrEvent, known: EventView | None) -> float:
        if known is not None and known.event.startafter == event.startafter:
            return known.offset_s
        window = event.startafter or timedelta(0)
        return self._rng.uniform(0.0, window.total_seconds()) if window else 0.0

    def _impose(
        self, event: OadrEvent, kind: ChangeKind, due: bool, *, replan: bool, decision: OptDecision
    ) -> Change:
        self._imposed[(event.event_id, event.modification_number)] = decision
        return Change(kind, event.event_id, event.modification_number, due, replan, decision, decision.reason)

    def _forget(self, event_id: str) -> None:
        for key in [k for k in self._answers if k[0] == event_id]:
            del self._answers[key]


_NOT_TARGETED = "event targets none of this VEN's ids, resources, groups or parties"


def _mismatch() -> OptDecision:
    # Rule 48: a non-matching eiTarget is a logical error, reported 4xx in the eventResponse.
    return OptDecision.opt_out(_NOT_TARGETED, ResponseCode.TARGET_MISMATCH)


def _precedence(view: EventView) -> tuple[int, datetime, str]:
    # OpenADR priority: lower number = higher priority, 0 = no priority = lowest of all.
    priority = view.event.priority if view.event.priority > 0 else 2**31
    return (priority, view.start, view.event_id)
