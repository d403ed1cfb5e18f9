"""VenClient's callbacks: distributions into the EventBook, opt decisions, answers, all persisted at once.

An answer counts as given when the VTN acknowledged the oadrCreatedEvent carrying it (`answered`); a
restarted VEN restores its book from the database and never sends an answer for a modification twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from policies.base import PlanningProblem
from ven.events import decide, to_record
from ven.feasibility.envelope import Envelope
from ven.feasibility.flexibility import flexibility
from ven.openadr.signals import event_horizon, event_request
from ven.storage import OptAnswer

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    from policies.base import Policy
    from ven.clock import Clock
    from ven.events import EventBook, EventView
    from ven.model.fleet import Fleet
    from ven.openadr.events import GivenAnswer
    from ven.openadr.models import Distribution, OadrEvent, OptDecision
    from ven.storage import Store

    Decider = Callable[[EventView], OptDecision | None]

logger = logging.getLogger(__name__)


class EventFlow:
    def __init__(
        self,
        book: EventBook,
        store: Store,
        clock: Clock,
        *,
        snapshot: Callable[[], Awaitable[Fleet]],
        quick_policy: Policy,
        simple_levels: Mapping[int, float],
        margin: float,
        opt_in_share: float,
        on_change: Callable[[], None],
        deciders: Sequence[Decider] = (),
    ) -> None:
        self._book = book
        self._store = store
        self._clock = clock
        self._snapshot = snapshot
        self._policy = quick_policy
        self._levels = dict(simple_levels)
        self._margin = margin
        self._share = opt_in_share
        self._on_change = on_change
        self._deciders = tuple(deciders)  # answers from other sources than the plan, first one wins

    def restore(self) -> list[EventView]:
        self._book.restore(self._store.events.pending())
        views = self._book.views()
        if views:
            logger.info("restored %d events from %s", len(views), self._store.path)
        return views

    async def on_distribution(self, distribution: Distribution) -> None:
        changes = self._book.apply_distribution(distribution)
        for change in changes:
            view = self._book.get(change.event_id)
            if view is not None:
                self._save(view)
            logger.info("event %s: %s", change.event_id, change.kind.value)
        if changes:
            self._on_change()

    async def on_event(self, event: OadrEvent) -> OptDecision:
        decision = self._book.decision_for(event)
        view = self._book.get(event.event_id)
        if decision is None and view is not None and view.modification_number == event.modification_number:
            decision = await self._decide(event, view)
        if decision is None:  # the book imposes every answer it does not leave to us: a bug
            raise RuntimeError(f"event {event.event_id}: neither the book nor the runtime decided")
        self._book.record_answer(event.event_id, event.modification_number, decision)
        view = self._book.get(event.event_id)
        if view is not None and view.modification_number == event.modification_number:
            self._save(view)
        self._on_change()
        return decision

    def answered(self, event_id: str, modification_number: int) -> bool:
        return self._store.events.is_answered(event_id, modification_number)

    def on_answered(self, answers: Sequence[GivenAnswer]) -> None:
        for answer in answers:
            try:
                self._store.events.answer(
                    answer.event_id, answer.modification_number, OptAnswer(answer.opt), answer.reason
                )
            except KeyError:  # a confirmed cancellation of an event never stored (rule 60)
                continue

    async def _decide(self, event: OadrEvent, view: EventView) -> OptDecision:
        for decider in self._deciders:
            decision = decider(view)
            if decision is not None:
                logger.warning("event %s: %s (%s)", event.event_id, decision.opt.value, decision.reason)
                return decision
        fleet = await self._snapshot()
        horizon = event_horizon(event, view.offset)
        envelope = Envelope(fleet, horizon)
        baseline = envelope.baseline_kw.sum(axis=0)
        request = event_request(
            event,
            baseline_kw=baseline,
            available_reduction_kw=flexibility(envelope).available_reduction_kw,
            simple_levels=self._levels,
            margin=self._margin,
            offset=view.offset,
        )
        problem = PlanningProblem(request, envelope)
        allocation = self._policy.allocate(problem)
        deliverable = baseline - np.asarray(allocation.power_kw).sum(axis=0)
        return decide(event, request, deliverable, self._share, targeted=view.targeted)

    def _save(self, view: EventView) -> None:
        self._store.events.save(to_record(view, view.status(self._clock.now())))
