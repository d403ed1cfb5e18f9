"""ACN-Sim's classic sorting schedulers, `edf` and `llf`, adapted to a V2G fleet.

ACN-Sim (Lee et al., "ACN-Sim: An Open-Source Simulator for Data-Driven Electric Vehicle Charging
Research") sorts sessions by a key and gives charging power to the most urgent first. Here the request
moves the fleet away from its baseline, so the order is read both ways: to reduce load, the least
urgent EV gives first (fully, then the next); to take more load, the most urgent EV takes it first.
The shared stepwise scheduler curtails charging before any battery exports and keeps every EV inside
the envelope's safe range, so both are safe by construction and pass the same verifier.
"""

from __future__ import annotations

import numpy as np

from policies.priority import laxity_h
from policies.stepwise import Step, StepwisePolicy, ordered_split
from ven.model.fleet import FloatArray, IntArray


def _urgency_split(step: Step, amount_kw: float, caps_kw: FloatArray, urgency: FloatArray) -> FloatArray:
    """Least urgent (largest key) moves first when lowering power; most urgent first when raising it."""
    movable = np.nonzero(caps_kw > 0.0)[0]
    key = -urgency[movable] if step.lower else urgency[movable]
    # A stable sort on the key alone (ties keep fleet order), as ACN-Sim's sorted() does.
    order: IntArray = movable[np.argsort(key, kind="stable")]
    return ordered_split(order, amount_kw, caps_kw)


def edf_split(step: Step, amount_kw: float, caps_kw: FloatArray) -> FloatArray:
    """Earliest deadline first: the EV that leaves last (or never) gives first."""
    return _urgency_split(step, amount_kw, caps_kw, np.asarray(step.envelope.fleet.departure_ts))


def llf_split(step: Step, amount_kw: float, caps_kw: FloatArray) -> FloatArray:
    """Least laxity first: the EV with the most slack before it must charge flat out gives first."""
    return _urgency_split(step, amount_kw, caps_kw, laxity_h(step))


class EdfPolicy(StepwisePolicy):
    """ACN-Sim's earliest deadline first: the EV leaving last gives first; curtail before export."""

    name = "edf"

    def __init__(self) -> None:
        super().__init__(edf_split)


class LlfPolicy(StepwisePolicy):
    """ACN-Sim's least laxity first: the EV with the most slack gives first; curtail before export."""

    name = "llf"

    def __init__(self) -> None:
        super().__init__(llf_split)
