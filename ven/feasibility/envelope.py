"""For each EV and interval, the power range that keeps every hard constraint reachable.

Derivation (CONTRACT.md hard constraints): an EV must end its last available interval with at least
`required_kwh = departure_soc·C − eff·max_charge·(departure − end_of_last_available_interval)`. Charging
at full rate over the available time left can always close a gap, so the lowest safe stored energy at
boundary k is `floor_kwh[k] = max(reserve, required − eff·max_charge·available_time_after_k)`. Any power
that keeps the next boundary at or above its floor (and SOC ≤ 1) leaves the rest of the plan feasible;
that is what `step_bounds` returns, and why every step-by-step policy is safe by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ven.feasibility.physics import power_for_delta_kw
from ven.model.baseline import availability, baseline_kw
from ven.model.fleet import BoolArray, Fleet, FloatArray
from ven.model.horizon import Horizon

# Slack for float round-off when comparing energies (kWh); far below any meter's resolution.
ENERGY_TOL_KWH = 1e-6


@dataclass(frozen=True)
class Envelope:
    """Per-EV safety data for one fleet snapshot over one horizon (all arrays read-only)."""

    fleet: Fleet
    horizon: Horizon
    # A baseline fixed elsewhere (an event's, frozen when it started); default: computed from `fleet`.
    baseline_override: FloatArray | None = field(default=None, repr=False, compare=False)
    available: BoolArray = field(init=False, repr=False)  # (N, K)
    baseline_kw: FloatArray = field(init=False, repr=False)  # (N, K)
    discharge_limit_kw: FloatArray = field(init=False, repr=False)  # (N,) 0 where discharge is forbidden
    reserve_kwh: FloatArray = field(init=False, repr=False)  # (N,)
    required_kwh: FloatArray = field(init=False, repr=False)  # (N,) -inf where no departure in play
    floor_kwh: FloatArray = field(init=False, repr=False)  # (N, K+1)
    hopeless: BoolArray = field(init=False, repr=False)  # (N,) cannot reach departure_soc even flat out

    def __post_init__(self) -> None:
        fleet, horizon = self.fleet, self.horizon
        available = availability(fleet, horizon)
        capacity = fleet.capacity_kwh
        energy0 = fleet.energy_kwh
        # Available time (h) from each boundary to the end of the last available interval.
        remaining_h = np.zeros((len(fleet), len(horizon) + 1))
        remaining_h[:, :-1] = np.cumsum((available * horizon.duration_h[None, :])[:, ::-1], axis=1)[:, ::-1]
        last_end_ts = np.where(
            available.any(axis=1),
            horizon.start_ts[0] + remaining_h[:, 0] * 3600.0,
            horizon.start_ts[0],
        )
        after_h = np.maximum(fleet.departure_ts - last_end_ts, 0.0) / 3600.0
        rate = fleet.efficiency * fleet.max_charge_kw
        with np.errstate(invalid="ignore"):
            required = np.where(
                np.isfinite(fleet.departure_ts) & available.any(axis=1),
                fleet.departure_soc * capacity - rate * np.nan_to_num(after_h, posinf=0.0),
                -np.inf,
            )
        hopeless = energy0 + rate * remaining_h[:, 0] < required - ENERGY_TOL_KWH
        below_reserve = fleet.soc < fleet.min_soc
        reserve = np.minimum(fleet.min_soc * capacity, energy0)
        floor = np.maximum(reserve[:, None], required[:, None] - rate[:, None] * remaining_h)
        discharge = np.where(below_reserve | hopeless, 0.0, fleet.max_discharge_kw)
        values = {
            "available": available,
            "baseline_kw": self._baseline(),
            "discharge_limit_kw": discharge,
            "reserve_kwh": reserve,
            "required_kwh": required,
            "floor_kwh": floor,
            "hopeless": hopeless,
        }
        for name, array in values.items():
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    def _baseline(self) -> FloatArray:
        if self.baseline_override is None:
            return baseline_kw(self.fleet, self.horizon)
        override = np.array(self.baseline_override, dtype=np.float64)
        if override.shape != (len(self.fleet), len(self.horizon)):
            raise ValueError(f"baseline shape {override.shape} != {(len(self.fleet), len(self.horizon))}")
        return override

    def step_bounds(self, k: int, energy_kwh: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(lo, hi) kW for interval k from stored energy `energy_kwh`; lo ≤ hi always holds."""
        fleet = self.fleet
        dt_h = float(self.horizon.duration_h[k])
        room_kw = np.maximum(fleet.capacity_kwh - energy_kwh, 0.0) / (fleet.efficiency * dt_h)
        hi = np.minimum(fleet.max_charge_kw, room_kw)
        lo = np.maximum(
            -self.discharge_limit_kw,
            power_for_delta_kw(self.floor_kwh[:, k + 1] - energy_kwh, fleet.efficiency, dt_h),
        )
        lo = np.minimum(lo, hi)
        # An EV that cannot make its departure SOC charges flat out, never curtailed.
        lo = np.where(self.hopeless, hi, lo)
        on = self.available[:, k]
        return np.where(on, lo, 0.0), np.where(on, hi, 0.0)


def clip_to_envelope(envelope: Envelope, power_kw: FloatArray) -> FloatArray:
    """Walk the horizon clipping each interval to its safe range; repairs solver round-off only."""
    fleet = envelope.fleet
    energy = fleet.energy_kwh.copy()
    out = np.empty_like(power_kw)
    for k, dt_h in enumerate(envelope.horizon.duration_h):
        lo, hi = envelope.step_bounds(k, energy)
        out[:, k] = np.clip(power_kw[:, k], lo, hi)
        energy = (
            energy
            + np.where(out[:, k] >= 0.0, fleet.efficiency * out[:, k], out[:, k] / fleet.efficiency) * dt_h
        )
    return out
