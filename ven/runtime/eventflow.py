"""VenClient's callbacks: distributions into the EventBook, every answer decided, recorded and persisted.

Who answers, in order (docs/events.md): the book (a confirmed cancellation, an older modification, a
foreign target), then the deciders (the protocol edge's "can it be converted", test events; market
context and owner overrides plug in here), then the configured policy's verified plan for the fleet as it
is, planned off the event loop. Every answer, whoever decided it, goes into the book and the store; an
event answered optOut never reaches dispatch. An answer counts as given when the VTN acknowledged the
oadrCreatedEvent carrying it (`answered`): a restarted VEN restores its book from the database and never
decides or sends an answer for a modification twice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from ven.errors import PolicyError, SafetyViolationError
from ven.events import Answer, Opt, Outlook, decide, to_record
from ven.openadr.answers import refusal
from ven.openadr.models import EventRejectedError
from ven.plan import plan_problem

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence
    from datetime import datetime

    from policies.base import PlanningProblem, Policy
    from ven.clock import Clock
    from ven.dispatch.request import Remaining
    from ven.events import Decider, EventBook, EventView
    from ven.openadr.events import GivenAnswer
    from ven.openadr.models import Distribution, OadrEvent
    from ven.storage import Store

    Preview = Callable[[EventView, datetime], Awaitable[tuple[PlanningProblem, Remaining] | None]]

logger = logging.getLogger(__name__)


class EventFlow:
    def __init__(
        self,
        book: EventBook,
        store: Store,
        clock: Clock,
        *,
        preview: Preview,
        policy: Policy,
        deciders: Sequence[Decider],
        opt_in_share: float,
        on_change: Callable[[], None],
    ) -> None:
        self._book = book
        self._store = store
        self._clock = clock
        self._preview = preview
        self._policy = policy
        self._deciders = tuple(deciders)
        self._share = opt_in_share
        self._on_change = on_change

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

    async def on_event(self, event: OadrEvent) -> Answer:
        """The answer to this modification: the book's if it has one, else decided now and recorded."""
        answer = self._book.answer_for(event.event_id, event.modification_number)
        if answer is None:
            view = self._book.get(event.event_id)
            if view is None or view.modification_number != event.modification_number:
                raise RuntimeError(f"event {event.event_id}: undecided, yet not in the book")  # a bug
            answer = await self._decide(view)
        recorded = self._book.record_answer(event.event_id, event.modification_number, answer)
        if recorded is not None:
            self._save(recorded)
            self._on_change()
        return answer

    def answered(self, event_id: str, modification_number: int) -> bool:
        return self._store.events.is_answered(event_id, modification_number)

    def on_answered(self, answers: Sequence[GivenAnswer]) -> None:
        for answer in answers:
            try:
                self._store.events.acknowledge(answer.event_id, answer.modification_number)
            except KeyError:  # a confirmed cancellation of an event never stored (rule 60)
                continue

    async def _decide(self, view: EventView) -> Answer:
        for decider in self._deciders:
            answer = decider(view)
            if answer is not None:
                log = logger.info if answer.opt is Opt.IN else logger.warning
                log("event %s: %s (%s)", view.event_id, answer.opt.value, answer.reason)
                return answer
        return await self._planned(view)

    async def _planned(self, view: EventView) -> Answer:
        """The configured policy's verified plan for the fleet as it is now, off the event loop."""
        try:
            preview = await self._preview(view, self._clock.now())
        except EventRejectedError as err:  # values only the fleet's figures expose
            return refusal(err)
        if preview is None:
            return Answer.opt_out("nothing of the event is left to deliver")
        problem, remaining = preview
        try:
            plan = await asyncio.to_thread(plan_problem, problem, self._policy)
        except (SafetyViolationError, PolicyError) as err:
            logger.exception("event %s: the plan for the opt decision was refused", view.event_id)
            return Answer.opt_out(f"no safe plan: {err}")
        # What EVs outside the plan (plugged in, not commandable) give or take counts toward the event too.
        outside_kw = remaining.requested_kw - remaining.request.reduction_kw
        outlook = Outlook.of(
            remaining.requested_kw,
            plan.reduction_kw + outside_kw,
            remaining.request.horizon.duration_h,
            usable_evs=int(problem.envelope.available.any(axis=1).sum()),
        )
        return decide(view.event_id, view.modification_number, outlook, self._share)

    def _save(self, view: EventView) -> None:
        self._store.events.save(to_record(view, view.status(self._clock.now())))
