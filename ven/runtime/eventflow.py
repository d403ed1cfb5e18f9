"""VenClient's callbacks: distributions into the EventBook, every answer decided, recorded and persisted.

Who answers, in order (docs/events.md): the book (a confirmed cancellation, an older modification, a
foreign target), then the deciders (the protocol edge's "can it be converted", test events; market
context and owner overrides plug in here), then a verified plan for the fleet as it is, made off the event
loop: the configured policy's, or, where that one is slow (the planner's own measure), first the quick
policy's, which dispatch starts with. A quick plan that delivers the whole request decides at once (the
configured policy cannot deliver more than all); otherwise the configured policy gets `budget` to plan,
and if it cannot, the quick plan decides: it is what dispatch keeps when the refinement does not land.
Every answer, whoever decided it, goes into the book and the store; an event answered optOut never
reaches dispatch. An answer counts as given when the VTN acknowledged the
oadrCreatedEvent carrying it (`answered`): a restarted VEN restores its book from the database and never
decides or sends an answer for a modification twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from ven.errors import PolicyError, SafetyViolationError
from ven.events import Answer, Opt, Outlook, decide, to_record
from ven.events.model import EventRejectedError
from ven.events.opt import TOLERANCE
from ven.events.signals import refusal
from ven.plan import plan_problem
from ven.storage import StorageUnavailableError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from policies.base import PlanningProblem, Policy
    from ven.clock import Clock
    from ven.dispatch.request import Remaining
    from ven.events import Decider, EventBook, EventView
    from ven.events.model import Distribution, DrEvent
    from ven.openadr.events import GivenAnswer
    from ven.plan import Plan
    from ven.storage import Store

    Preview = Callable[[EventView, datetime], Awaitable[tuple[PlanningProblem, Remaining] | None]]

logger = logging.getLogger(__name__)

DECISION_BUDGET = timedelta(seconds=5)  # how long the configured policy may take to plan an opt decision


class Policies(Protocol):
    """The configured policy, the quick one dispatch starts with, and which of them plans first
    (ven.dispatch.planner.Planner)."""

    policy: Policy
    quick_policy: Policy

    def needs_quick(self, problem: PlanningProblem) -> bool: ...


class EventFlow:
    def __init__(
        self,
        book: EventBook,
        store: Store,
        clock: Clock,
        *,
        preview: Preview,
        policies: Policies,
        deciders: Sequence[Decider],
        opt_in_share: float,
        on_change: Callable[[], None],
        budget: timedelta = DECISION_BUDGET,
    ) -> None:
        self._book = book
        self._store = store
        self._clock = clock
        self._preview = preview
        self._policies = policies
        self._budget_s = budget.total_seconds()
        self._deciders = tuple(deciders)
        self._share = opt_in_share
        self._on_change = on_change
        self._acknowledged: set[tuple[str, int]] = set()  # answers the VTN acknowledged, for outages

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

    async def on_event(self, event: DrEvent) -> Answer:
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
        try:
            return self._store.events.is_answered(event_id, modification_number)
        except StorageUnavailableError:  # the database is restarting: what this process saw acknowledged
            return (event_id, modification_number) in self._acknowledged

    def on_answered(self, answers: Sequence[GivenAnswer]) -> None:
        known = {view.event_id for view in self._book.views()}
        self._acknowledged = {key for key in self._acknowledged if key[0] in known}  # live events only
        for answer in answers:
            self._acknowledged.add((answer.event_id, answer.modification_number))
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
        """A verified plan for the fleet as it is now, off the event loop (see the module docstring)."""
        try:
            preview = await self._preview(view, self._clock.now())
        except EventRejectedError as err:  # values only the fleet's figures expose
            return refusal(err)
        if preview is None:
            return Answer.opt_out("nothing of the event is left to deliver")
        problem, remaining = preview
        policies = self._policies
        quick = policies.needs_quick(problem)
        try:
            plan = await asyncio.to_thread(
                plan_problem, problem, policies.quick_policy if quick else policies.policy
            )
        except (SafetyViolationError, PolicyError) as err:
            logger.exception("event %s: the plan for the opt decision was refused", view.event_id)
            return Answer.opt_out(f"no safe plan: {err}")
        outlook = _outlook(plan, remaining)
        if quick and outlook.share < 1.0 - TOLERANCE:
            outlook = await self._configured(view, problem, remaining) or outlook
        return decide(view.event_id, view.modification_number, outlook, self._share)

    async def _configured(
        self, view: EventView, problem: PlanningProblem, remaining: Remaining
    ) -> Outlook | None:
        """The configured policy's outlook, if it plans within the budget (its thread may run on)."""
        policy = self._policies.policy
        try:
            async with asyncio.timeout(self._budget_s):
                plan = await asyncio.to_thread(plan_problem, problem, policy)
        except TimeoutError:
            logger.warning(
                "event %s: %s did not plan within %g s; deciding with the quick plan",
                view.event_id,
                policy.name,
                self._budget_s,
            )
            return None
        except (SafetyViolationError, PolicyError) as err:
            logger.warning(
                "event %s: %s refused (%s); deciding with the quick plan", view.event_id, policy.name, err
            )
            return None
        return _outlook(plan, remaining)

    def _save(self, view: EventView) -> None:
        self._store.events.save(to_record(view, view.status(self._clock.now())))


def _outlook(plan: Plan, remaining: Remaining) -> Outlook:
    # What EVs outside the plan (plugged in, not commandable) give or take counts toward the event too.
    outside_kw = remaining.requested_kw - remaining.request.reduction_kw
    return Outlook.of(
        remaining.requested_kw,
        plan.reduction_kw + outside_kw,
        remaining.request.horizon.duration_h,
        usable_evs=int(plan.problem.envelope.available.any(axis=1).sum()),
    )
