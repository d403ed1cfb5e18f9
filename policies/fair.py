"""The `fair` policy: water-filling on SOC margin."""

from __future__ import annotations

import numpy as np

from policies.stepwise import Step, StepwisePolicy
from ven.feasibility.physics import power_for_delta_kw
from ven.model.fleet import FloatArray

_BISECTIONS = 32  # 3 / 2**32 resolution on the margin level; the final interpolation makes the sum exact


def _moved_at_level(step: Step, level: float, caps_kw: FloatArray) -> FloatArray:
    """Per-EV move that brings each EV's next-boundary margin to `level` (SOC fraction above its floor)."""
    envelope = step.envelope
    fleet = envelope.fleet
    dt_h = float(envelope.horizon.duration_h[step.k])
    target_kwh = envelope.floor_kwh[:, step.k + 1] + level * fleet.capacity_kwh
    power_at_level = power_for_delta_kw(target_kwh - step.energy_kwh, fleet.efficiency, dt_h)
    delta = step.power_kw - power_at_level if step.lower else power_at_level - step.power_kw
    moved: FloatArray = np.clip(delta, 0.0, caps_kw)
    return moved


def fair_split(step: Step, amount_kw: float, caps_kw: FloatArray) -> FloatArray:
    """Find the common margin level whose moves add up to the amount (bisection; moves are monotone in it)."""
    if amount_kw >= float(caps_kw.sum()):
        return caps_kw.copy()
    # Lowering power: the higher the level, the less each EV gives. Raising: the opposite.
    low, high = -1.0, 2.0
    moved_low, moved_high = _moved_at_level(step, low, caps_kw), _moved_at_level(step, high, caps_kw)
    for _ in range(_BISECTIONS):
        mid = 0.5 * (low + high)
        moved = _moved_at_level(step, mid, caps_kw)
        too_much = moved.sum() > amount_kw
        if too_much == step.lower:
            low, moved_low = mid, moved
        else:
            high, moved_high = mid, moved
    # Interpolate between the brackets so the total is exact; each EV stays within its caps.
    sum_low, sum_high = float(moved_low.sum()), float(moved_high.sum())
    weight = 0.0 if sum_low == sum_high else (amount_kw - sum_high) / (sum_low - sum_high)
    split: FloatArray = moved_high + np.clip(weight, 0.0, 1.0) * (moved_low - moved_high)
    return split


class FairPolicy(StepwisePolicy):
    """Equalise the burden: water-fill so EVs end each interval with equal SOC margin above what they need."""

    name = "fair"

    def __init__(self) -> None:
        super().__init__(fair_split)
