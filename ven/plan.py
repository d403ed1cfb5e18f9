"""Run a policy on a request, guard the result with the verifier, and summarise it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from policies.base import PlanningProblem, Policy
from ven.errors import PolicyError
from ven.feasibility.physics import trajectory_kwh
from ven.feasibility.verify import verify
from ven.model.fleet import Fleet, FloatArray
from ven.model.request import Request


def shortfall_kw(requested_kw: FloatArray, reduction_kw: FloatArray) -> FloatArray:
    """How far delivery falls short of the request, per interval (kW, ≥ 0), for either direction."""
    return np.where(
        requested_kw >= 0.0,
        np.maximum(requested_kw - reduction_kw, 0.0),
        np.maximum(reduction_kw - requested_kw, 0.0),
    )


def excess_kw(requested_kw: FloatArray, reduction_kw: FloatArray, margin: float) -> FloatArray:
    """Delivery beyond requested·(1 + margin), per interval (kW, ≥ 0)."""
    cap = requested_kw * (1.0 + margin)
    return np.where(
        requested_kw >= 0.0, np.maximum(reduction_kw - cap, 0.0), np.maximum(cap - reduction_kw, 0.0)
    )


@dataclass(frozen=True)
class Plan:
    """A verified allocation with the fleet-level figures CONTRACT.md reports."""

    policy: str
    problem: PlanningProblem
    power_kw: FloatArray  # (N, K)
    soc: FloatArray = field(init=False, repr=False)  # (N, K+1)

    def __post_init__(self) -> None:
        fleet = self.problem.fleet
        energy = trajectory_kwh(
            fleet.energy_kwh, self.power_kw, fleet.efficiency, self.problem.request.horizon.duration_h
        )
        soc = energy / fleet.capacity_kwh[:, None]
        soc.setflags(write=False)
        object.__setattr__(self, "soc", soc)

    @property
    def fleet(self) -> Fleet:
        return self.problem.fleet

    @property
    def requested_kw(self) -> FloatArray:
        return self.problem.request.reduction_kw

    @property
    def baseline_kw(self) -> FloatArray:
        """Fleet baseline per interval."""
        total: FloatArray = self.problem.baseline_kw.sum(axis=0)
        return total

    @property
    def fleet_power_kw(self) -> FloatArray:
        total: FloatArray = self.power_kw.sum(axis=0)
        return total

    @property
    def reduction_kw(self) -> FloatArray:
        return self.baseline_kw - self.fleet_power_kw

    @property
    def shortfall_kw(self) -> FloatArray:
        return shortfall_kw(self.requested_kw, self.reduction_kw)

    @property
    def excess_kw(self) -> FloatArray:
        return excess_kw(self.requested_kw, self.reduction_kw, self.problem.request.margin)

    @property
    def shortfall_kwh(self) -> float:
        return float(self.shortfall_kw @ self.problem.request.horizon.duration_h)

    @property
    def discharge_kwh(self) -> float:
        """Energy exported from batteries (at the charger), kWh."""
        return float((np.maximum(-self.power_kw, 0.0) @ self.problem.request.horizon.duration_h).sum())


def make_plan(fleet: Fleet, request: Request, policy: Policy) -> Plan:
    """Allocate with `policy`, then refuse the result unless it passes every hard constraint."""
    problem = PlanningProblem.build(fleet, request)
    return plan_problem(problem, policy)


def plan_problem(problem: PlanningProblem, policy: Policy) -> Plan:
    allocation = policy.allocate(problem)
    power = np.asarray(allocation.power_kw, dtype=np.float64)
    expected = (len(problem.fleet), len(problem.request.horizon))
    if power.shape != expected:
        raise PolicyError(f"policy {policy.name!r} returned shape {power.shape}, expected {expected}")
    verify(problem.envelope, power)
    return Plan(policy.name, problem, power)
