"""The generic interval-by-interval scheduler behind the heuristic policies.

Each interval starts from the baseline clipped to the envelope's safe range, then moves the fleet by the
remaining request, first by curtailing charging and only then by discharging batteries. How that amount
is split across EVs is the one thing a heuristic decides: a plain `Split` function (acnportal style).
Because every EV stays inside `Envelope.step_bounds`, every plan is safe by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from policies.base import Allocation, PlanningProblem
from ven.feasibility.envelope import Envelope
from ven.feasibility.physics import energy_delta_kwh
from ven.model.fleet import FloatArray, IntArray
from ven.model.request import Request

# Requests closer than this to met are met (kW); avoids chasing float noise.
TOL_KW = 1e-9


@dataclass(frozen=True, slots=True)
class Step:
    """What a split function may look at for interval k."""

    envelope: Envelope
    k: int
    energy_kwh: FloatArray  # stored energy at the interval's start
    power_kw: FloatArray  # power decided so far for this interval
    lower: bool  # True: amounts reduce power; False: amounts raise it (load-up)


# split(step, amount_kw, caps_kw) -> per-EV amounts in [0, caps], summing to min(amount, sum(caps)).
Split = Callable[[Step, float, FloatArray], FloatArray]


# start(k, energy_kwh, lo_kw, hi_kw) -> the power to begin interval k from (clipped to [lo, hi] after).
Start = Callable[[int, FloatArray, FloatArray, FloatArray], FloatArray]


class StepwisePolicy:
    """A heuristic: the stepwise scheduler plus one split function."""

    name = "stepwise"

    def __init__(self, split: Split) -> None:
        self._split = split

    def allocate(self, problem: PlanningProblem) -> Allocation:
        return Allocation(run_stepwise(problem, self._split))


def request_band_kw(request: Request) -> tuple[FloatArray, FloatArray]:
    """(low, high) acceptable reduction per interval: between requested and requested·(1 + margin)."""
    ends = np.stack([request.reduction_kw, request.reduction_kw * (1.0 + request.margin)])
    ends.sort(axis=0)
    return ends[0], ends[1]


def run_stepwise(
    problem: PlanningProblem,
    split: Split,
    start: Start | None = None,
    band_kw: tuple[FloatArray, FloatArray] | None = None,
) -> FloatArray:
    """Schedule interval by interval, moving each interval's delivery into its band.

    `start` gives each interval's first guess (default: the baseline); `band_kw` the (low, high)
    reduction per interval to move into (default: the request's band).
    """
    envelope = problem.envelope
    fleet = envelope.fleet
    request = problem.request
    lows, highs = request_band_kw(request) if band_kw is None else band_kw
    energy = fleet.energy_kwh.copy()
    out = np.zeros((len(fleet), len(request.horizon)))
    for k, dt_h in enumerate(request.horizon.duration_h):
        lo, hi = envelope.step_bounds(k, energy)
        baseline = envelope.baseline_kw[:, k]
        guess = baseline if start is None else start(k, energy, lo, hi)
        power = np.clip(guess, lo, hi)
        delivered_kw = float((baseline - power).sum())
        band_low, band_high = float(lows[k]), float(highs[k])
        if delivered_kw < band_low - TOL_KW:
            extra_kw = band_low - delivered_kw
            # Curtail charging first (down to 0 where allowed), then export from batteries.
            for floor in (np.maximum(lo, np.minimum(power, 0.0)), lo):
                extra_kw -= _move(
                    split, Step(envelope, k, energy, power, lower=True), extra_kw, power - floor
                )
        elif delivered_kw > band_high + TOL_KW:
            _move(split, Step(envelope, k, energy, power, lower=False), delivered_kw - band_high, hi - power)
        out[:, k] = power
        energy = energy + energy_delta_kwh(power, fleet.efficiency, float(dt_h))
    return out


def _move(split: Split, step: Step, amount_kw: float, caps_kw: FloatArray) -> float:
    """Move the step's power (in place) by up to amount_kw in its direction; return what was moved."""
    caps = np.maximum(caps_kw, 0.0)
    if amount_kw <= TOL_KW or caps.sum() <= TOL_KW:
        return 0.0
    moved = np.clip(split(step, amount_kw, caps), 0.0, caps)
    if step.lower:
        step.power_kw[:] = step.power_kw - moved
    else:
        step.power_kw[:] = step.power_kw + moved
    return float(moved.sum())


def proportional_split(step: Step, amount_kw: float, caps_kw: FloatArray) -> FloatArray:
    """Each EV moves in proportion to its headroom."""
    del step
    return caps_kw * min(1.0, amount_kw / float(caps_kw.sum()))


def ordered_split(order: IntArray, amount_kw: float, caps_kw: FloatArray) -> FloatArray:
    """EVs in `order` (indices) move fully one after another until the amount is met; others stay."""
    sorted_caps = caps_kw[order]
    before = np.cumsum(sorted_caps) - sorted_caps
    moved = np.zeros_like(caps_kw)
    moved[order] = np.clip(amount_kw - before, 0.0, sorted_caps)
    return moved
