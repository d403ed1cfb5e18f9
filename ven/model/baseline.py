"""The baseline of CONTRACT.md: unmanaged charging at full rate until `target_soc`, exactly."""

from __future__ import annotations

import numpy as np

from ven.model.fleet import BoolArray, Fleet, FloatArray
from ven.model.horizon import Horizon


def availability(fleet: Fleet, horizon: Horizon) -> BoolArray:
    """(N, K): plugged in now and not departing before the interval's end."""
    return fleet.plugged_in[:, None] & (fleet.departure_ts[:, None] >= horizon.end_ts[None, :])


def baseline_kw(fleet: Fleet, horizon: Horizon) -> FloatArray:
    """(N, K) baseline power: max_charge_kw while available and below target; a partial last step."""
    available = availability(fleet, horizon)
    energy = fleet.energy_kwh.copy()
    target = fleet.target_soc * fleet.capacity_kwh
    out = np.zeros((len(fleet), len(horizon)))
    for k, dt_h in enumerate(horizon.duration_h):
        needed_kw = np.maximum(target - energy, 0.0) / (fleet.efficiency * dt_h)
        power = np.where(available[:, k], np.minimum(fleet.max_charge_kw, needed_kw), 0.0)
        out[:, k] = power
        energy = energy + fleet.efficiency * power * dt_h
    out.setflags(write=False)
    return out
