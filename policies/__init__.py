"""Aggregation policies: how a requested reduction is split across the enrolled EVs.

A policy is a pure, synchronous object with a `name` and `allocate(problem) -> Allocation`; it sees
only frozen snapshots. Policies are found through the `v2x_ven.policies` entry-point group.
"""

from policies.base import Allocation, PlanningProblem, Policy
from policies.registry import PolicyInfo, available_policies, load_policy

__all__ = ["Allocation", "PlanningProblem", "Policy", "PolicyInfo", "available_policies", "load_policy"]
