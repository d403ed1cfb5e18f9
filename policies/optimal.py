"""The `optimal` policy: one linear programme over the whole horizon, solved lexicographically (HiGHS).

Objectives in strict order: (1) least shortfall against the request, (2) no excess beyond
requested·(1+margin), (3) least battery discharge energy — curtail charging before exporting —
(4) the burden spread fairly (equal energy reduction per kWh of battery where possible).
Fleets up to `max_groups` EVs are solved exactly, one LP battery per EV. Larger fleets are solved over
groups of similar EVs (policies.grouping); each group's plan is then split across its members inside
their own safe ranges so that they run out of room together (policies.disaggregate), and any remainder
is settled interval by interval with the fair split.
"""

from __future__ import annotations

import numpy as np

from policies import lp
from policies.base import Allocation, PlanningProblem
from policies.disaggregate import GroupMembers, split_by_hours
from policies.fair import fair_split
from policies.grouping import group_labels
from policies.stepwise import request_band_kw, run_stepwise
from ven.feasibility.envelope import Envelope
from ven.feasibility.physics import energy_delta_kwh
from ven.model.fleet import FloatArray, IntArray


class OptimalPolicy:
    """Whole-horizon LP (HiGHS): least shortfall, then least battery discharge, then the fairest burden."""

    name = "optimal"

    def __init__(self, max_groups: int = 1500, time_limit_s: float = 30.0) -> None:
        self._max_groups = max_groups
        self._time_limit_s = time_limit_s

    def allocate(self, problem: PlanningProblem) -> Allocation:
        envelope = problem.envelope
        fixed = _fixed_power(envelope)
        free = envelope.available.any(axis=1) & ~envelope.hopeless
        if not free.any():
            return Allocation(fixed)
        labels, count = group_labels(envelope, free, self._max_groups)
        batteries = _batteries(envelope, labels, count)
        request = problem.request
        low_kw, high_kw = request_band_kw(request)
        target = lp.Target(
            low_kw=low_kw,
            high_kw=high_kw,
            load_up=request.reduction_kw < 0.0,
            other_reduction_kw=(envelope.baseline_kw[~free] - fixed[~free]).sum(axis=0),
            duration_h=request.horizon.duration_h,
        )
        group_power = lp.solve(batteries, target, self._time_limit_s)

        members = GroupMembers.of(envelope, labels, free)

        def start(k: int, energy_kwh: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
            power = lo.copy()  # EVs outside the LP: their step range is a single point
            power[free] = split_by_hours(
                group_power[:, k],
                members,
                (lo[free], hi[free]),
                energy_kwh[free],
                float(request.horizon.duration_h[k]),
            )
            return power

        # The repair after the split restores only what clipping and splitting lost: where the LP chose to
        # fall short (delivering there would cost more later), topping up to the request would undo it.
        planned_kw = (
            envelope.baseline_kw[free].sum(axis=0) - group_power.sum(axis=0) + target.other_reduction_kw
        )
        band = (np.minimum(low_kw, planned_kw), np.maximum(high_kw, planned_kw))
        return Allocation(run_stepwise(problem, fair_split, start, band))


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
    )
