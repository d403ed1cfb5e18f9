"""A minimal v2x-ven policy plug-in."""

from __future__ import annotations

import numpy as np

from policies import Allocation, PlanningProblem
from ven.feasibility.physics import energy_delta_kwh


class CurtailOnlyPolicy:
    """Curtail every EV's charging by the same fraction; never discharge a battery."""

    name = "curtail-only"

    def allocate(self, problem: PlanningProblem) -> Allocation:
        envelope = problem.envelope
        fleet = problem.fleet
        energy = fleet.energy_kwh.copy()
        power = np.zeros_like(problem.baseline_kw)
        for k, dt_h in enumerate(problem.request.horizon.duration_h):
            lo, hi = envelope.step_bounds(k, energy)  # the safe range: stay inside it and you are safe
            start = np.clip(problem.baseline_kw[:, k], lo, hi)
            floor = np.clip(0.0, lo, hi)  # stop charging, but no lower
            room = float((start - floor).sum())
            wanted = float(problem.request.reduction_kw[k])
            fraction = min(1.0, max(wanted, 0.0) / room) if room > 0 else 0.0
            power[:, k] = start - fraction * (start - floor)
            energy = energy + energy_delta_kwh(power[:, k], fleet.efficiency, float(dt_h))
        return Allocation(power)
