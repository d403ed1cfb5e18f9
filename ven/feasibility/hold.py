"""The last setpoint: how low a power stays safe if it is held until it expires and baseline follows.

Every setpoint a charger receives carries its own end (`[chargers] setpoint_ttl`); without a fresh one by
then the charger returns to its baseline behaviour: unmanaged charging at max_charge_kw up to target_soc.
When the VEN stalls, dies or loses the network right after a step, that is exactly what happens, so the
power it commands must survive it: held from `start` for `hold_h` (or until the EV leaves, if sooner), the
EV keeps its reserve, and baseline charging from there still reaches, by departure, the level its owner
needs. That level is departure_soc, or, for an EV whose own charger stops below it (target_soc below
departure_soc), wherever that charger would have left it: the VEN never leaves an EV worse off than no
VEN at all.
"""

from __future__ import annotations

import numpy as np

from ven.feasibility.physics import power_for_delta_kw
from ven.model.fleet import Fleet, FloatArray

# Slack for float round-off when comparing energies (kWh); far below any meter's resolution.
_TOL_KWH = 1e-9


def hold_floor_kw(
    fleet: Fleet, start_ts: float, hold_h: float, *, energy_kwh: FloatArray | None = None
) -> FloatArray:
    """Per EV, the lowest constant power safe to hold from `start_ts` for `hold_h`, then baseline.

    At most max_charge_kw (full rate where nothing less is safe); -inf for an EV not plugged in or
    leaving at `start_ts` (nothing to hold). `energy_kwh`: stored energy now, if not the fleet's SOC.
    """
    capacity = fleet.capacity_kwh
    energy = fleet.energy_kwh if energy_kwh is None else energy_kwh
    leaves = np.isfinite(fleet.departure_ts)
    left_h = np.where(leaves, fleet.departure_ts - start_ts, np.inf) / 3600.0
    held_h = np.minimum(hold_h, left_h)
    holding = fleet.plugged_in & (held_h > 0.0)
    reserve = np.minimum(fleet.min_soc * capacity, energy)
    level = np.minimum(fleet.departure_soc * capacity, np.maximum(fleet.target_soc * capacity, energy))
    # Baseline charging after the hold closes the gap at full rate, if the EV's own charger goes that far.
    after_h = np.where(leaves, np.maximum(left_h - held_h, 0.0), 0.0)
    charges_up = fleet.target_soc * capacity >= level - _TOL_KWH
    credit_kwh = np.where(charges_up, fleet.efficiency * fleet.max_charge_kw * after_h, 0.0)
    need = np.where(leaves, np.maximum(reserve, level - credit_kwh), reserve)
    duration_h = np.where(holding, held_h, 1.0)
    lo = np.minimum(power_for_delta_kw(need - energy, fleet.efficiency, duration_h), fleet.max_charge_kw)
    floor: FloatArray = np.where(holding, lo, -np.inf)
    return floor
