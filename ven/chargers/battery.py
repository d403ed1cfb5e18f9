"""Vectorised battery physics for the simulated fleet: one time step for every EV at once.

Energy follows CONTRACT.md (eff·p·dt charging, p·dt/eff discharging, via ven.feasibility.physics). What a
real EV adds on top of a plan: the battery management system stops at full and at empty, whatever the
charger asks, so power is cut to what fits in [0, capacity] over the step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ven.feasibility.physics import energy_delta_kwh

if TYPE_CHECKING:
    from ven.model.fleet import FloatArray


def _per_hour(value: FloatArray, dt_h: FloatArray) -> FloatArray:
    """value / dt_h, and +inf where the EV is not connected at all during the step (dt_h = 0)."""
    return np.divide(value, dt_h, out=np.full_like(value, np.inf), where=dt_h > 0.0)


def baseline_kw(
    energy_kwh: FloatArray,
    *,
    capacity_kwh: FloatArray,
    target_soc: FloatArray,
    efficiency: FloatArray,
    max_charge_kw: FloatArray,
    dt_h: FloatArray,
) -> FloatArray:
    """Unmanaged charging, as ven.model.baseline: full rate until target_soc, a partial last step."""
    needed_kw = _per_hour(np.maximum(target_soc * capacity_kwh - energy_kwh, 0.0) / efficiency, dt_h)
    return np.minimum(max_charge_kw, needed_kw)


def bms_limit_kw(
    power_kw: FloatArray,
    energy_kwh: FloatArray,
    *,
    capacity_kwh: FloatArray,
    efficiency: FloatArray,
    dt_h: FloatArray,
) -> FloatArray:
    """Power cut to what keeps stored energy within [0, capacity] over dt_h."""
    room_kw = _per_hour(np.maximum(capacity_kwh - energy_kwh, 0.0) / efficiency, dt_h)
    stored_kw = _per_hour(np.maximum(energy_kwh, 0.0) * efficiency, dt_h)
    return np.clip(power_kw, -stored_kw, room_kw)


def ramp_kw(previous_kw: FloatArray, target_kw: FloatArray, max_change_kw: float | None) -> FloatArray:
    """Move from previous toward target by at most max_change_kw (None: no ramp limit)."""
    if max_change_kw is None:
        return target_kw
    return previous_kw + np.clip(target_kw - previous_kw, -max_change_kw, max_change_kw)


def integrate_kwh(
    energy_kwh: FloatArray,
    power_kw: FloatArray,
    *,
    capacity_kwh: FloatArray,
    efficiency: FloatArray,
    dt_h: FloatArray,
) -> FloatArray:
    """Stored energy after dt_h at power_kw; clipped to [0, capacity] against float round-off."""
    return np.clip(energy_kwh + energy_delta_kwh(power_kw, efficiency, dt_h), 0.0, capacity_kwh)
