"""Closed-loop dispatch of one event: measure, re-plan the rest of the event from now, apply interval 0.

Each step reads the gateway, builds a fleet snapshot from the measured SOC and plug state, plans the
remaining event (ven.plan: the verifier is the last guard) and applies the first interval's setpoints.
A gateway that knows its fleet (OCPP: what the stations reported about departure, target SOC and limits,
V1G only behind 2.0.1) is planned from that fleet instead of the enrollment file.
A plan the verifier refuses is never dispatched: every EV is released to baseline and the error logged.
Setpoints a charger rejects leave that EV out of the next plan (the caller re-dispatches at once).
For large fleets the quick policy gives the first setpoints and the configured one refines them off the
event loop.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from policies.base import PlanningProblem
from ven.chargers.gateway import KnowsFleet
from ven.dispatch.baseline import FrozenBaselines
from ven.dispatch.request import Remaining, remaining_request
from ven.errors import PolicyError, SafetyViolationError
from ven.memory import release_free_memory
from ven.storage import DispatchDecision

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Set as AbstractSet
    from datetime import datetime

    from ven.chargers.gateway import ApplyResult, ChargerGateway, FleetReading
    from ven.dispatch.baseline import Baselines
    from ven.dispatch.planner import Planned, Planner
    from ven.events.view import EventView
    from ven.model.fleet import BoolArray, Fleet, IntArray
    from ven.plan import Plan
    from ven.storage import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepSummary:
    """One dispatch step in figures, for the operator's log line."""

    interval: int  # 0-based event interval
    intervals: int  # how many the event has
    requested_kw: float  # reduction asked in this interval
    planned_kw: float  # reduction the plan gives in it
    measured_kw: float  # fleet power measured before the step (> 0 charging)
    baseline_kw: float | None  # the event's frozen baseline now
    evs: int  # EVs in play: plugged in, online, commandable


@dataclass
class StepOutcome:
    planned: bool = False
    rejected: frozenset[str] = frozenset()
    released: bool = False  # the plan was refused: EVs went back to baseline
    summary: StepSummary | None = None


@dataclass
class _State:
    key: tuple[str, int] | None = None  # (event_id, modificationNumber) being executed
    interval: int = -1
    excluded: set[str] = field(default_factory=set)  # EVs that rejected setpoints this interval
    generation: int = 0


class DispatchController:
    """Executes whichever event the runtime says is active; one instance per VEN."""

    def __init__(
        self,
        gateway: ChargerGateway,
        fleet: Fleet,
        planner: Planner,
        store: Store,
        *,
        simple_levels: Mapping[int, float],
        margin: float,
        departure_guard: timedelta = timedelta(0),
    ) -> None:
        self._gateway = gateway
        self._fleet = fleet
        self._reported = gateway.fleet if isinstance(gateway, KnowsFleet) else None
        self._planner = planner
        self._store = store
        self._baselines = FrozenBaselines(store)
        self._levels = dict(simple_levels)
        self._margin = margin
        self._departure_guard = departure_guard
        self._state = _State()
        # the reduction requested in each interval of the event being executed, as first planned (kW);
        # kept for one event only, so it never grows with the number of events
        self._requested: dict[tuple[str, int], float] = {}
        self._refine: asyncio.Task[None] | None = None
        # the latest quick plan still to refine; one refinement runs at a time (a thread cannot be
        # cancelled, so starting one per control step would pile up solver memory on a slow machine)
        self._to_refine: tuple[PlanningProblem, Remaining, str, int] | None = None
        self.last_plan: Plan | None = None
        self.last_remaining: Remaining | None = None

    @property
    def executing(self) -> tuple[str, int] | None:
        return self._state.key

    def requested_kw(self, event_id: str, interval: int) -> float | None:
        """The reduction requested in one event interval as first planned (kW)."""
        return self._requested.get((event_id, interval))

    def baseline_now_kw(self) -> float | None:
        """The contract baseline of the fleet over the current interval, from the latest plan."""
        if self.last_plan is None or self.last_remaining is None:
            return None
        return float(self.last_plan.baseline_kw[0] + self.last_remaining.outside_baseline_kw[0])

    async def step(self, tracked: EventView, now: datetime) -> StepOutcome:
        key = (tracked.event_id, tracked.modification_number)
        if key != self._state.key:
            await self._cancel_refine()
            if self._state.key is None or self._state.key[0] != key[0]:
                self._requested.clear()
            self._state = _State(key=key)
        reading = await self._gateway.read()
        snapshot = self.snapshot(reading)
        remaining = self._remaining(tracked, now, reading, snapshot, self._baselines)
        if remaining is None:
            return StepOutcome()
        if remaining.first_index != self._state.interval:
            self._state.interval, self._state.excluded = remaining.first_index, set()
        self._requested.setdefault((tracked.event_id, remaining.first_index), remaining.requested_now_kw)
        problem = PlanningProblem.build(snapshot, remaining.request, remaining.baseline_kw)
        self._state.generation += 1
        self._to_refine = None
        try:
            planned = self._planner.plan(problem)
        except (SafetyViolationError, PolicyError):
            logger.exception(
                "event %s: plan refused; NOT dispatched, releasing every EV to baseline", tracked.event_id
            )
            await self._release_all()
            return StepOutcome(released=True)
        result = await self._apply(planned, remaining, tracked.event_id)
        if planned.quick:
            self._to_refine = (problem, remaining, tracked.event_id, self._state.generation)
            if self._refine is None or self._refine.done():
                self._refine = asyncio.create_task(self._refine_latest())
        self._state.excluded |= result.rejected_ids
        summary = StepSummary(
            interval=remaining.first_index,
            intervals=remaining.first_index + len(remaining.requested_kw),
            requested_kw=remaining.requested_now_kw,
            planned_kw=float(planned.plan.reduction_kw[0]),
            measured_kw=float(np.nansum(reading.power_kw)),
            baseline_kw=self.baseline_now_kw(),
            evs=int(planned.plan.fleet.plugged_in.sum()),
        )
        release_free_memory()  # a fleet-size plan's temporaries: not kept resident until the next step
        return StepOutcome(planned=True, rejected=result.rejected_ids, summary=summary)

    async def finish(self) -> None:
        """The event ended or was cancelled: every EV back to unmanaged charging."""
        await self._cancel_refine()
        if self._state.key is not None:
            logger.info("event %s ended: releasing the fleet", self._state.key[0])
        await self._release_all()
        self._state = _State()

    async def close(self) -> None:
        await self._cancel_refine()

    async def preview(self, tracked: EventView, now: datetime) -> tuple[PlanningProblem, Remaining] | None:
        """What a control step would plan for `tracked` now, from the fleet as it is, without freezing
        its baseline or applying anything (the opt decision plans this); None if nothing is left.
        Built off the event loop (half a second for 10,000 EVs), from copies of the state it reads."""
        reading = await self._gateway.read()
        fleet, excluded = self._planning_fleet(), frozenset(self._state.excluded)
        return await asyncio.to_thread(self._previewed, tracked, now, reading, fleet, excluded)

    def _previewed(
        self,
        tracked: EventView,
        now: datetime,
        reading: FleetReading,
        fleet: Fleet,
        excluded: AbstractSet[str],
    ) -> tuple[PlanningProblem, Remaining] | None:
        snapshot = _snapshot(reading, fleet, excluded)
        remaining = self._remaining(tracked, now, reading, snapshot, self._baselines.preview())
        if remaining is None:
            return None
        return PlanningProblem.build(snapshot, remaining.request, remaining.baseline_kw), remaining

    def snapshot(self, reading: FleetReading) -> Fleet:
        """The planning fleet now: measured SOC; usable = plugged in, online, not faulted or excluded."""
        return _snapshot(reading, self._planning_fleet(), self._state.excluded)

    def _planning_fleet(self) -> Fleet:
        return self._fleet if self._reported is None else self._reported()

    def _remaining(
        self, tracked: EventView, now: datetime, reading: FleetReading, snapshot: Fleet, baselines: Baselines
    ) -> Remaining | None:
        outside, outside_draw_kw = self._outside(reading, snapshot)
        return remaining_request(
            tracked.event,
            tracked.offset,
            snapshot,
            now,
            simple_levels=self._levels,
            margin=self._margin,
            baselines=baselines,
            outside=outside,
            outside_draw_kw=outside_draw_kw,
            departure_guard=self._departure_guard,
        )

    @staticmethod
    def _outside(reading: FleetReading, fleet: Fleet) -> tuple[BoolArray, float]:
        """EVs still plugged in that this plan cannot command, and the power they draw as measured."""
        order = _order(reading, fleet)
        outside = reading.plugged_in[order] & ~fleet.plugged_in
        power = reading.power_kw[order]
        return outside, float(np.where(outside, np.nan_to_num(power), 0.0).sum())

    async def _apply(self, planned: Planned, remaining: Remaining, event_id: str) -> ApplyResult:
        plan = planned.plan
        fleet = plan.fleet
        plugged = np.flatnonzero(fleet.plugged_in)
        ids = fleet.ids
        # EVs leaving within this interval are outside the plan (0 there): they charge for their departure.
        power = plan.power_kw[:, 0] + remaining.leaving_kw
        setpoints = {ids[i]: float(power[i]) for i in plugged}
        result = await self._gateway.apply(setpoints)
        self.last_plan, self.last_remaining = plan, remaining
        self._store.dispatch.record(
            DispatchDecision(
                event_id=event_id,
                interval_index=remaining.first_index,
                decided_at=remaining.request.horizon.start,
                policy=plan.policy,
                requested_kw=remaining.requested_now_kw,
                planned_kw=float(plan.reduction_kw[0]),
                setpoints_kw=setpoints,
            ),
            ev_ids=ids,
        )
        if result.rejected:
            logger.warning(
                "event %s: %d setpoints rejected (%s); re-dispatching without them",
                event_id,
                len(result.rejected),
                ", ".join(r.ev_id for r in result.rejected[:5]),
            )
        return result

    async def _refine_latest(self) -> None:
        """Refine the latest quick plan; if a newer one arrived meanwhile, refine that one next."""
        while self._to_refine is not None:
            problem, remaining, event_id, generation = self._to_refine
            self._to_refine = None
            try:
                planned = await asyncio.to_thread(_plan_and_release, self._planner, problem)
            except (SafetyViolationError, PolicyError):
                logger.exception("event %s: refined plan refused; keeping the quick plan", event_id)
                continue
            if generation == self._state.generation:  # no newer step has replaced the quick plan meanwhile
                result = await self._apply(planned, remaining, event_id)
                self._state.excluded |= result.rejected_ids

    async def _cancel_refine(self) -> None:
        self._to_refine = None
        task, self._refine = self._refine, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _release_all(self) -> None:
        self.last_plan = self.last_remaining = None
        result = await self._gateway.release()
        if result.rejected:
            logger.warning("release: %d chargers did not answer", len(result.rejected))


def _plan_and_release(planner: Planner, problem: PlanningProblem) -> Planned:
    """The configured policy's plan; the solver's freed working memory goes back to the system at once."""
    try:
        return planner.plan_configured(problem)
    finally:
        release_free_memory()


def _snapshot(reading: FleetReading, fleet: Fleet, excluded: AbstractSet[str]) -> Fleet:
    fleet = fleet.rolled(reading.timestamp)  # routines: today's departures, not the ones at start
    order = _order(reading, fleet)
    soc = reading.soc[order]
    soc = np.where(np.isfinite(soc), np.clip(soc, 0.0, 1.0), fleet.soc)
    usable = reading.plugged_in[order] & reading.online[order]
    blocked = set(reading.faults) | excluded
    if blocked:
        usable &= np.array([ev_id not in blocked for ev_id in fleet.ids])
    return fleet.with_state(soc=soc, plugged_in=usable)


def _order(reading: FleetReading, fleet: Fleet) -> IntArray:
    """Positions in `reading` of the fleet's EVs (a gateway may list EVs in its own order)."""
    if reading.ev_ids == fleet.ids:
        return np.arange(len(fleet))
    return np.array([reading.index(ev_id) for ev_id in fleet.ids], dtype=np.int64)
