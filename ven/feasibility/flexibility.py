"""What the fleet could give, interval by interval: the one definition of "available reduction".

For each EV and interval, starting from where unmanaged (baseline) charging would have brought it, the
lowest power the hard constraints allow (`Envelope.step_bounds`: power limits, reserve, departure floor,
flat-out charging for hopeless EVs) is its floor; the available reduction is what lies between its
baseline and that floor, never below zero:

    available_reduction_kw   = Σ max(baseline − floor, 0)            (V2G export included)
    available_curtailment_kw = Σ max(baseline − max(floor, 0), 0)    (curtailment only, no export)
    energy_above_reserve_kwh = Σ max(energy − min_soc · capacity, 0) over EVs available in the interval

Each interval is taken on its own (the EVs have done nothing for earlier intervals): the figures say how
much could be shed in that interval, not how much could be shed in every interval at once. Dispatch
(SIMPLE levels), the opt decision, the flexibility forecast and TELEMETRY_STATUS all use this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ven.feasibility.physics import energy_delta_kwh

if TYPE_CHECKING:
    from ven.feasibility.envelope import Envelope
    from ven.model.fleet import FloatArray


@dataclass(frozen=True)
class Flexibility:
    """Per-EV (N, K) figures over an envelope's horizon; the fleet totals are (K,) properties."""

    baseline_kw: FloatArray
    floor_kw: FloatArray  # lowest safe power in the interval (negative = export); 0 where unavailable
    energy_above_reserve_kwh: FloatArray  # at the interval's start, EVs available in it; 0 elsewhere
    reduction_kw: FloatArray = field(init=False, repr=False)
    curtailment_kw: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        reduction = np.maximum(self.baseline_kw - self.floor_kw, 0.0)
        curtailment = np.maximum(self.baseline_kw - np.maximum(self.floor_kw, 0.0), 0.0)
        object.__setattr__(self, "reduction_kw", reduction)
        object.__setattr__(self, "curtailment_kw", curtailment)

    @property
    def available_reduction_kw(self) -> FloatArray:
        """(K,) fleet total, V2G export included."""
        total: FloatArray = self.reduction_kw.sum(axis=0)
        return total

    @property
    def available_curtailment_kw(self) -> FloatArray:
        """(K,) fleet total, curtailment only."""
        total: FloatArray = self.curtailment_kw.sum(axis=0)
        return total

    @property
    def total_energy_above_reserve_kwh(self) -> FloatArray:
        total: FloatArray = self.energy_above_reserve_kwh.sum(axis=0)
        return total


def flexibility(envelope: Envelope) -> Flexibility:
    """The flexibility of the envelope's fleet over its horizon, along its baseline trajectory."""
    fleet, horizon = envelope.fleet, envelope.horizon
    baseline = envelope.baseline_kw
    reserve_kwh = fleet.min_soc * fleet.capacity_kwh
    energy = fleet.energy_kwh.copy()
    floor = np.zeros_like(baseline)
    above = np.zeros_like(baseline)
    for k, dt_h in enumerate(horizon.duration_h):
        lo, _ = envelope.step_bounds(k, energy)
        on = envelope.available[:, k]
        floor[:, k] = np.where(on, lo, 0.0)
        above[:, k] = np.where(on, np.maximum(energy - reserve_kwh, 0.0), 0.0)
        energy = energy + energy_delta_kwh(baseline[:, k], fleet.efficiency, float(dt_h))
    return Flexibility(np.asarray(baseline), floor, above)
