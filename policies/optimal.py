"""The `optimal` policy: one linear programme over the whole horizon, solved lexicographically (HiGHS).

Objectives in strict order: (1) least shortfall against the request, (2) least battery discharge energy
(curtail charging before exporting), (3) no excess beyond requested·(1+margin), (4) the burden spread
fairly (equal energy reduction per kWh of battery where possible). Where the LP would charge and
discharge one battery in one interval, those cells are solved exactly with binaries (policies.lp).

Fleets up to `max_groups` EVs are solved exactly, one LP battery per EV. Larger fleets are solved over
groups of EVs that run out of room together (policies.grouping); each group's plan is split across its
members inside their own safe ranges (policies.disaggregate). A group's LP is a relaxation of its
members' (their energies pooled), so where every split realises its group's plan the fleet plan is as
good as the full LP's; groups whose split falls short are solved again one battery per member. Last,
interval by interval, the fair split restores what clipping and splitting lost, never beyond the
LP's own planned reduction (topping up where the LP chose to fall short would undo its plan).
"""

from __future__ import annotations

import numpy as np

from policies import lp
from policies.base import Allocation, PlanningProblem
from policies.disaggregate import GroupMembers, split_by_hours
from policies.fair import fair_split
from policies.grouping import group_labels
from policies.stepwise import request_band_kw, run_stepwise
from ven.errors import PolicyError
from ven.feasibility.envelope import Envelope
from ven.feasibility.physics import energy_delta_kwh
from ven.model.fleet import BoolArray, FloatArray, IntArray

# A group whose members' powers differ from its plan by more than this share of its planned energy
# throughput is solved again, one battery per member.
_SPLIT_TOL = 1e-6
# At most this many rounds of solving groups again (each one LP over the refined groups).
_ROUNDS = 2


class OptimalPolicy:
    """Whole-horizon LP (HiGHS): least shortfall, then least battery discharge, then the fairest burden."""

    name = "optimal"

    def __init__(
        self,
        max_groups: int = 1000,
        time_limit_s: float = 30.0,
        max_refined: int | None = None,
        residual: float = 1e-3,
    ) -> None:
        """`max_groups`: the most batteries in any LP (fleets that fit are solved one battery per EV);
        `max_refined` (default max_groups // 4): EVs that may be taken out of groups whose split falls
        short; `residual`: the share of the requested energy those splits may lose."""
        self._max_groups = max_groups
        self._max_refined = max_groups // 4 if max_refined is None else min(max_refined, max_groups - 1)
        self._residual = residual
        self._time_limit_s = time_limit_s

    def allocate(self, problem: PlanningProblem) -> Allocation:
        envelope = problem.envelope
        fixed = _fixed_power(envelope)
        free = envelope.available.any(axis=1) & ~envelope.hopeless
        if not free.any():
            return Allocation(fixed)
        # Every LP stays within max_groups batteries: the first over at most max_groups − max_refined groups
        # (or one per EV when the fleet fits), refinements take at most max_refined EVs out of groups.
        size = self._max_groups if free.sum() <= self._max_groups else self._max_groups - self._max_refined
        labels, count = group_labels(envelope, free, max(size, 1))
        budget = self._max_refined
        for attempt in range(_ROUNDS + 1):
            try:
                # Refinement rounds share one more time limit between them.
                limit_s = self._time_limit_s if attempt == 0 else self._time_limit_s / _ROUNDS
                group_power = self._solve(problem, labels, count, fixed, limit_s)
            except PolicyError:
                if attempt == 0:
                    raise
                break  # a refinement that does not finish in time: the last round's plan stands
            if count == int(free.sum()):  # one battery per EV: the LP's plan is the EVs' plan
                plan = fixed.copy()
                plan[free] = group_power[labels[free]]
                intended_kw = plan.sum(axis=0)
                break
            plan = _split(problem, labels, free, group_power)
            intended_kw = plan[~free].sum(axis=0) + group_power.sum(axis=0)
            taken = self._failed(problem, labels, group_power, plan, budget)
            if taken.size == 0 or attempt == _ROUNDS:
                break
            budget -= int(np.isin(labels, taken).sum())
            labels, count = _split_out(labels, taken)
        # The repair after the split restores only what clipping and splitting lost: where the LP chose to
        # fall short (delivering there would cost more later), topping up to the request would undo it.
        planned_kw = envelope.baseline_kw.sum(axis=0) - intended_kw
        low_kw, high_kw = request_band_kw(problem.request)
        band = (np.minimum(low_kw, planned_kw), np.maximum(high_kw, planned_kw))

        def start(k: int, energy_kwh: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
            del energy_kwh, lo, hi
            column: FloatArray = plan[:, k]
            return column

        return Allocation(run_stepwise(problem, fair_split, start, band))

    def _solve(
        self, problem: PlanningProblem, labels: IntArray, count: int, other_kw: FloatArray, limit_s: float
    ) -> FloatArray:
        """(count, K) power of the labelled batteries; EVs labelled −1 run at `other_kw`."""
        envelope = problem.envelope
        request = problem.request
        outside = labels < 0
        low_kw, high_kw = request_band_kw(request)
        target = lp.Target(
            low_kw=low_kw,
            high_kw=high_kw,
            load_up=request.reduction_kw < 0.0,
            other_reduction_kw=(envelope.baseline_kw[outside] - other_kw[outside]).sum(axis=0),
            duration_h=request.horizon.duration_h,
        )
        return lp.solve(_batteries(envelope, labels, count), target, limit_s)

    def _failed(
        self,
        problem: PlanningProblem,
        labels: IntArray,
        group_power: FloatArray,
        plan: FloatArray,
        budget: int,
    ) -> IntArray:
        """The groups to solve again one battery per member, because their split fell short of their plan.

        A group's LP lets one member's energy count toward another's floor (summed capacities, floors and
        limits): a relaxation. Where the split realises every group's plan the fleet plan achieves the
        relaxation's optimum, so nothing better exists. Otherwise the groups that lost most energy per
        member come first, until what the rest lost is below `residual` of the requested energy or
        their members would exceed `budget`.
        """
        duration_h = problem.request.horizon.duration_h
        members = labels >= 0
        realised = np.zeros_like(group_power)
        np.add.at(realised, labels[members], plan[members])
        lost_kwh = np.abs(realised - group_power) @ duration_h
        size = np.bincount(labels[members], minlength=group_power.shape[0])
        short = lost_kwh > _SPLIT_TOL * (1.0 + np.abs(group_power) @ duration_h)
        failed = np.nonzero(short & (size > 1))[0]
        order = failed[np.argsort(-lost_kwh[failed] / size[failed], kind="stable")]
        enough_kwh = self._residual * float(np.abs(problem.request.reduction_kw) @ duration_h)
        left_kwh = lost_kwh[order].sum() - np.cumsum(lost_kwh[order])  # left after taking 1, 2, … groups
        needed = 0 if lost_kwh[order].sum() <= enough_kwh else int((left_kwh > enough_kwh).sum()) + 1
        fits = int(np.searchsorted(np.cumsum(size[order]), budget, side="right"))
        taken: IntArray = order[: min(needed, fits)]
        return taken


def _split_out(labels: IntArray, taken: IntArray) -> tuple[IntArray, int]:
    """The same groups, except that each member of a `taken` group becomes a group of its own."""
    out = labels.copy()
    alone = np.isin(labels, taken)
    kept = (labels >= 0) & ~alone
    _, out[kept] = np.unique(labels[kept], return_inverse=True)
    first = int(out[kept].max()) + 1 if kept.any() else 0
    out[alone] = first + np.arange(int(alone.sum()))
    return out, first + int(alone.sum())


def _split(
    problem: PlanningProblem, labels: IntArray, free: BoolArray, group_power: FloatArray
) -> FloatArray:
    """Each group's plan split across its members, interval by interval, inside their safe ranges."""
    envelope = problem.envelope
    members = GroupMembers.of(envelope, labels, free)
    duration_h = problem.request.horizon.duration_h

    def start(k: int, energy_kwh: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
        power = lo.copy()  # EVs outside the LP: their step range is a single point
        power[free] = split_by_hours(
            group_power[:, k], members, (lo[free], hi[free]), energy_kwh[free], float(duration_h[k])
        )
        return power

    anything = np.full(len(duration_h), np.inf)
    return run_stepwise(problem, fair_split, start, (-anything, anything))


def _fixed_power(envelope: Envelope) -> FloatArray:
    """Power of the EVs with no freedom: flat out when they cannot make departure SOC, else 0."""
    fleet = envelope.fleet
    energy = fleet.energy_kwh.copy()
    out = np.zeros((len(fleet), len(envelope.horizon)))
    for k, dt_h in enumerate(envelope.horizon.duration_h):
        lo, _ = envelope.step_bounds(k, energy)
        out[:, k] = np.where(envelope.hopeless, lo, 0.0)
        energy = energy + energy_delta_kwh(out[:, k], fleet.efficiency, float(dt_h))
    return out


def _batteries(envelope: Envelope, labels: IntArray, count: int) -> lp.Batteries:
    """Sum each group's members into one virtual battery (exact for a group of one)."""
    fleet = envelope.fleet
    members = labels >= 0
    label = labels[members]

    def total(values: FloatArray) -> FloatArray:
        if values.ndim == 1:
            return np.bincount(label, weights=values[members], minlength=count).astype(np.float64)
        return np.stack([total(column) for column in values.T], axis=1)

    capacity = total(fleet.capacity_kwh)
    return lp.Batteries(
        capacity_kwh=capacity,
        energy_kwh=total(fleet.energy_kwh),
        efficiency=total(fleet.efficiency * fleet.capacity_kwh) / capacity,
        charge_kw=total(envelope.available * fleet.max_charge_kw[:, None]),
        discharge_kw=total(envelope.available * envelope.discharge_limit_kw[:, None]),
        floor_kwh=total(np.asarray(envelope.floor_kwh[:, 1:])),
        baseline_kw=total(np.asarray(envelope.baseline_kw)),
        single=np.bincount(label, minlength=count) == 1,
    )
