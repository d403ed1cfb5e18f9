"""The `priority` policy."""

from __future__ import annotations

import numpy as np

from policies.stepwise import Step, StepwisePolicy, ordered_split
from ven.model.fleet import FloatArray, IntArray


def laxity_h(step: Step) -> FloatArray:
    """Hours of slack before the EV must charge flat out to make its departure SOC (inf: no departure)."""
    fleet = step.envelope.fleet
    now_ts = float(step.envelope.horizon.start_ts[step.k])
    needed_kwh = np.maximum(fleet.departure_soc * fleet.capacity_kwh - step.energy_kwh, 0.0)
    rate_kw = np.maximum(fleet.efficiency * fleet.max_charge_kw, 1e-9)
    laxity: FloatArray = (fleet.departure_ts - now_ts) / 3600.0 - needed_kwh / rate_kw
    return laxity


def priority_split(step: Step, amount_kw: float, caps_kw: FloatArray) -> FloatArray:
    """Lowest `priority` gives first; among equals the EV with most laxity, then most SOC margin."""
    envelope = step.envelope
    # Only EVs that can move at all need ranking; in a large fleet that is often a small share.
    movable = np.nonzero(caps_kw > 0.0)[0]
    energy = step.energy_kwh[movable]
    margin = (energy - envelope.floor_kwh[movable, step.k + 1]) / envelope.fleet.capacity_kwh[movable]
    laxity = laxity_h(step)[movable]
    # np.lexsort sorts by the last key first.
    order: IntArray = movable[np.lexsort((-margin, -laxity, envelope.fleet.priority[movable]))]
    if not step.lower:
        # Extra charge is a benefit: the most protected, least lax EVs take it first.
        order = order[::-1]
    return ordered_split(order, amount_kw, caps_kw)


class PriorityPolicy(StepwisePolicy):
    """Protect higher-priority EVs; among equals, least-laxity first (the EV with most slack gives first)."""

    name = "priority"

    def __init__(self) -> None:
        super().__init__(priority_split)
