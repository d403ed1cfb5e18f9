"""Closed-loop dispatch of one event: measure, re-plan the rest of the event from now, apply interval 0.

Each step reads the gateway, builds a fleet snapshot from the measured SOC and plug state, plans the
remaining event (ven.plan: the verifier is the last guard) and applies the first interval's setpoints.
A gateway that knows its fleet (OCPP: what the stations reported about departure, target SOC and limits,
V1G only behind 2.0.1) is planned from that fleet instead of the enrollment file.
A plan the verifier refuses is never dispatched: every EV is released to baseline and the error logged.
Setpoints a charger rejects leave that EV out of the next plan (the caller re-dispatches at once).
For large fleets the quick policy gives the first setpoints and the configured one refines them off the
event loop (ven.dispatch.refine: one solve at a time, the newest problem wins, stale results never applied).

Any step may be the last (the VEN can stall, die or lose the network): every setpoint expires after
`setpoint_ttl`, when the charger returns to baseline behaviour, and the plan keeps the first interval's
power safe to hold until then (ven.feasibility.hold). Right before applying, each setpoint is checked once
more against the state read then, and raised where planning took long enough for that to matter.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from policies.base import PlanningProblem
from ven.availability import NO_HOLDS
from ven.chargers.gateway import KnowsFleet
from ven.dispatch.baseline import FrozenBaselines
from ven.dispatch.refine import Refiner
from ven.dispatch.request import Remaining, remaining_request
from ven.errors import PolicyError, SafetyViolationError
from ven.feasibility.hold import hold_floor_kw
from ven.memory import release_free_memory
from ven.storage import DispatchDecision

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from collections.abc import Set as AbstractSet
    from datetime import datetime, timedelta

    from ven.availability import Holds
    from ven.chargers.gateway import ApplyResult, ChargerGateway, FleetReading
    from ven.dispatch.baseline import Baselines
    from ven.dispatch.planner import Planned, Planner
    from ven.events.view import EventView
    from ven.model.fleet import BoolArray, Fleet, FloatArray, IntArray
    from ven.plan import Plan
    from ven.storage import Store

logger = logging.getLogger(__name__)

_POWER_TOL_KW = 1e-6


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


@dataclass(frozen=True)
class _Refinement:
    """What a refinement solves, and what its result is applied with."""

    problem: PlanningProblem
    remaining: Remaining
    event_id: str


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
        setpoint_ttl: timedelta,
        holds: Callable[[datetime], Holds] = lambda _at: NO_HOLDS,
    ) -> None:
        if setpoint_ttl.total_seconds() <= 0:
            raise ValueError("setpoint_ttl must be positive")
        self._gateway = gateway
        self._holds = holds  # EVs an owner override or an unavailability window keeps out of the plan
        self._site_of = {ev.ev_id: ev.site for ev in fleet.evs}
        self._fleet = fleet
        self._reported = gateway.fleet if isinstance(gateway, KnowsFleet) else None
        self._planner = planner
        self._store = store
        self._baselines = FrozenBaselines(store)
        self._levels = dict(simple_levels)
        self._margin = margin
        self._ttl = setpoint_ttl
        self._state = _State()
        # the reduction requested in each interval of the event being executed, as first planned (kW);
        # kept for one event only, so it never grows with the number of events
        self._requested: dict[tuple[str, int], float] = {}
        # one refinement at a time (a solver thread cannot be cancelled, so one per control step would pile
        # up solver memory on a slow machine); the newest problem wins
        self._refiner: Refiner[_Refinement, tuple[_Refinement, Planned | None]] = Refiner(
            self._solve, self._refined
        )
        self._applying = asyncio.Lock()  # a step's apply and a refinement's never interleave
        self._standing: dict[str, float] = {}  # the setpoints chargers accepted since the last renewal
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
        self._refiner.cancel()  # whatever it is solving answers an older problem now
        if key != self._state.key:
            if self._state.key is None or self._state.key[0] != key[0]:
                self._requested.clear()
            self._state = _State(key=key)
        reading = await self._gateway.read()
        held = self._held(reading, reading.timestamp)  # once per step: both uses below see the same holds
        await self._release_held(reading, held)
        snapshot = _snapshot(reading, self._planning_fleet(), self._state.excluded | held)
        remaining = self._remaining(tracked, now, reading, snapshot, self._baselines)
        if remaining is None:
            return StepOutcome()
        if remaining.first_index != self._state.interval:
            self._state.interval, self._state.excluded = remaining.first_index, set()
        self._requested.setdefault((tracked.event_id, remaining.first_index), remaining.requested_now_kw)
        problem = self._problem(snapshot, remaining)
        try:
            planned = self._planner.plan(problem)
        except (SafetyViolationError, PolicyError):
            logger.exception(
                "event %s: plan refused; NOT dispatched, releasing every EV to baseline", tracked.event_id
            )
            await self._release_all()
            return StepOutcome(released=True)
        async with self._applying:
            result = await self._apply(planned, remaining, tracked.event_id)
        if planned.quick:
            self._refiner.submit(_Refinement(problem, remaining, tracked.event_id))
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
        if not planned.quick:
            # a fleet-size plan's temporaries: not kept resident until the next step (a refinement, when
            # one follows, returns them with its own after its solve: malloc_trim covers every arena)
            release_free_memory()
        return StepOutcome(planned=True, rejected=result.rejected_ids, summary=summary)

    async def finish(self) -> None:
        """The event ended or was cancelled: every EV back to unmanaged charging."""
        self._refiner.cancel()
        if self._state.key is not None:
            logger.info("event %s ended: releasing the fleet", self._state.key[0])
        await self._release_all()
        self._state = _State()

    async def close(self) -> None:
        await self._refiner.close()

    async def preview(self, tracked: EventView, now: datetime) -> tuple[PlanningProblem, Remaining] | None:
        """What a control step would plan for `tracked` now, from the fleet as it is, without freezing
        its baseline or applying anything (the opt decision plans this); None if nothing is left.
        Built off the event loop (half a second for 10,000 EVs), from copies of the state it reads."""
        reading = await self._gateway.read()
        held = self._held(reading, max(now, tracked.start))  # as held when the event starts
        fleet, excluded = self._planning_fleet(), frozenset(self._state.excluded | held)
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
        return self._problem(snapshot, remaining), remaining

    def snapshot(self, reading: FleetReading) -> Fleet:
        """The planning fleet now: measured SOC; usable = plugged in, online, not faulted, excluded or
        held (an owner override or unavailability window)."""
        held = self._held(reading, reading.timestamp)
        return _snapshot(reading, self._planning_fleet(), self._state.excluded | held)

    def _held(self, reading: FleetReading, at: datetime) -> set[str]:
        """The EVs (of `reading`) that holds keep out of the plan at `at`."""
        holds = self._holds(at)
        if not holds.whole_fleet and not holds.sites:
            return set()
        sites = [self._site_of.get(ev_id, "") for ev_id in reading.ev_ids]
        return {reading.ev_ids[i] for i in np.flatnonzero(holds.mask(sites))}

    def _planning_fleet(self) -> Fleet:
        return self._fleet if self._reported is None else self._reported()

    def _problem(self, snapshot: Fleet, remaining: Remaining) -> PlanningProblem:
        """The planning problem of a control step: its first interval must be safe to hold for the TTL."""
        hold_h = self._ttl.total_seconds() / 3600.0
        return PlanningProblem.build(snapshot, remaining.request, remaining.baseline_kw, hold_h=hold_h)

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
        )

    async def _release_held(self, reading: FleetReading, held: AbstractSet[str]) -> None:
        """EVs an owner override or unavailability window holds (`held`, of `reading`) go back to unmanaged
        charging at once (a setpoint from an earlier plan would otherwise stand)."""
        if not held:
            return
        ids = [
            e
            for e, setpoint in zip(reading.ev_ids, reading.setpoint_kw, strict=True)
            if e in held and np.isfinite(setpoint)
        ]
        if ids:
            logger.info("releasing %d held EVs (%s)", len(ids), ", ".join(ids[:5]))
            await self._gateway.release(ids)

    @staticmethod
    def _outside(reading: FleetReading, fleet: Fleet) -> tuple[BoolArray, float]:
        """EVs still plugged in that this plan cannot command, and the power they draw as measured."""
        order = _order(reading, fleet)
        outside = reading.plugged_in[order] & ~fleet.plugged_in
        power = reading.power_kw[order]
        return outside, float(np.where(outside, np.nan_to_num(power), 0.0).sum())

    async def _apply(
        self, planned: Planned, remaining: Remaining, event_id: str, *, renew: bool = True
    ) -> ApplyResult:
        """Send the plan's first interval; `renew=False`: only the setpoints that differ from those standing.

        A step renews every setpoint (a fresh end for each); a refinement moments later need not send
        the unchanged ones again, which halves the commands a large OCPP fleet gets per control period.
        """
        plan = planned.plan
        fleet = plan.fleet
        plugged = np.flatnonzero(fleet.plugged_in)
        ids = fleet.ids
        # EVs leaving within this interval are outside the plan (0 there): they charge for their departure.
        power = plan.power_kw[:, 0] + remaining.leaving_kw
        reading = await self._gateway.read()
        power = self._safe_to_hold(power, fleet, reading, event_id)
        setpoints = dict(zip([ids[i] for i in plugged.tolist()], power[plugged].tolist(), strict=True))
        if renew:
            changed = setpoints
        else:
            standing = self._standing
            changed = {
                ev_id: power_kw
                for ev_id, power_kw in setpoints.items()
                if abs(standing.get(ev_id, math.inf) - power_kw) > _POWER_TOL_KW
            }
        result = await self._gateway.apply(changed, valid_until=reading.timestamp + self._ttl)
        if renew:
            self._standing = {}
        if len(result.accepted) == len(changed):  # all of them (the usual case): no lookup per EV
            self._standing.update(changed)
        else:
            self._standing.update((ev_id, changed[ev_id]) for ev_id in result.accepted)
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

    def _safe_to_hold(
        self, power: FloatArray, fleet: Fleet, reading: FleetReading, event_id: str
    ) -> FloatArray:
        """`power`, raised wherever it is not safe to hold for the TTL from the state `reading` shows.

        The plan holds from the state when planning began; a setpoint reaches the charger a little later
        (at a 200x simulated clock, a 0.5 s solve is 100 simulated seconds), from a state the previous
        setpoint moved. More power is always the safe side: reserve and departure only gain.
        """
        soc = reading.soc[_order(reading, fleet)]
        energy = np.where(np.isfinite(soc), np.clip(soc, 0.0, 1.0), fleet.soc) * fleet.capacity_kwh
        now_ts = reading.timestamp.timestamp()
        lo = hold_floor_kw(fleet, now_ts, self._ttl.total_seconds() / 3600.0, energy_kwh=energy)
        raised = fleet.plugged_in & (power < lo - _POWER_TOL_KW)
        if raised.any():
            logger.info(
                "event %s: %d setpoints raised to what is safe to hold from the state now",
                event_id,
                int(raised.sum()),
            )
        safe: FloatArray = np.where(raised, lo, power)
        return safe

    def _solve(self, job: _Refinement) -> tuple[_Refinement, Planned | None]:
        """The configured policy's plan for `job` (in the refinement thread: no state written)."""
        # Memory the control steps freed since the last solve goes back first: the solve's peak (tens of
        # MB at 10,000 EVs) would otherwise stack on top of it, and that sum is the VEN's peak RSS.
        release_free_memory()
        try:
            return job, self._planner.solve_configured(job.problem)
        except (SafetyViolationError, PolicyError):
            logger.exception("event %s: refined plan refused; keeping the quick plan", job.event_id)
            return job, None
        finally:
            release_free_memory()  # the solver's freed working memory goes back to the system at once

    async def _refined(self, solved: tuple[_Refinement, Planned | None], ticket: int) -> None:
        """Apply a refinement that still answers the newest problem; drop a stale one."""
        job, planned = solved
        if planned is None:
            return
        self._planner.learn(job.problem, planned)
        async with self._applying:
            if not self._refiner.is_current(ticket):
                return  # a newer step (or the event's end) replaced the problem it solved
            result = await self._apply(planned, job.remaining, job.event_id, renew=False)
        self._state.excluded |= result.rejected_ids

    async def _release_all(self) -> None:
        self.last_plan = self.last_remaining = None
        async with self._applying:  # after a refinement already applying, never before it
            self._standing = {}
            result = await self._gateway.release()
        if result.rejected:
            logger.warning("release: %d chargers did not answer", len(result.rejected))


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
