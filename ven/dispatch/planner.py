"""Which policy plans now: the configured one, or a quick heuristic first when the configured one is slow.

Planning time is measured, not guessed: the planner remembers how long the configured policy took per
EV-interval and uses the quick policy for the immediate setpoints whenever the configured one is expected
to exceed `quick_budget` (or has never run). The caller then refines with `plan_configured` off the loop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from policies import load_policy
from policies.base import PlanningProblem, Policy
from ven.plan import Plan, plan_problem

_FAST = frozenset({"fair", "proportional", "priority", "edf", "llf"})


@dataclass(frozen=True, slots=True)
class Planned:
    plan: Plan
    quick: bool  # planned by the quick policy: a refinement with the configured one should follow
    seconds: float


class Planner:
    def __init__(
        self, policy: str, quick_policy: str = "fair", quick_budget: timedelta = timedelta(milliseconds=50)
    ) -> None:
        self.policy: Policy = load_policy(policy)
        self.quick_policy: Policy = load_policy(quick_policy)
        self._budget_s = quick_budget.total_seconds()
        self._s_per_cell: float | None = 0.0 if policy in _FAST else None

    def needs_quick(self, problem: PlanningProblem) -> bool:
        if self.policy.name == self.quick_policy.name:
            return False
        cells = len(problem.fleet) * len(problem.request.horizon)
        return self._s_per_cell is None or self._s_per_cell * cells > self._budget_s

    def plan(self, problem: PlanningProblem) -> Planned:
        """A verified plan, quick when the configured policy would be too slow (verifier raises)."""
        if self.needs_quick(problem):
            return self._timed(problem, self.quick_policy, quick=True)
        return self.plan_configured(problem)

    def plan_configured(self, problem: PlanningProblem) -> Planned:
        """Plan with the configured policy (thread-safe: policies are pure) and learn its speed."""
        planned = self._timed(problem, self.policy, quick=False)
        cells = max(len(problem.fleet) * len(problem.request.horizon), 1)
        self._s_per_cell = planned.seconds / cells
        return planned

    @staticmethod
    def _timed(problem: PlanningProblem, policy: Policy, *, quick: bool) -> Planned:
        start = time.perf_counter()
        plan = plan_problem(problem, policy)
        return Planned(plan, quick, time.perf_counter() - start)
