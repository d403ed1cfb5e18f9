"""For each EV and interval, the power range that keeps every hard constraint reachable.

Derivation (CONTRACT.md hard constraints): an EV must end its last available interval with at least
`required_kwh = departure_soc·C − eff·max_charge·(departure − end_of_last_available_interval)`. Charging
at full rate over the available time left can always close a gap, so the lowest safe stored energy at
boundary k is `floor_kwh[k] = max(reserve, required − eff·max_charge·available_time_after_k)`. Any power
that keeps the next boundary at or above its floor (and SOC ≤ 1) leaves the rest of the plan feasible;
that is what `step_bounds` returns, and why every step-by-step policy is safe by construction.

With a hold (`hold_h` > 0, the runtime's setpoint TTL), the first interval's power is also the one a charger
keeps until its setpoint expires, after which baseline behaviour follows (ven.feasibility.hold): the floor
at the end of interval 0 rises to what that power reaches when it is safe to hold, so the setpoint applied
now stays safe even if it is the last one the VEN gets to make.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ven.feasibility.hold import hold_floor_kw
from ven.feasibility.physics import energy_delta_kwh, power_for_delta_kw
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
    # How long the first interval's power may stand before baseline follows (h); 0: no hold (offline plans).
    hold_h: float = 0.0
    available: BoolArray = field(init=False, repr=False)  # (N, K)
    baseline_kw: FloatArray = field(init=False, repr=False)  # (N, K)
    discharge_limit_kw: FloatArray = field(init=False, repr=False)  # (N,) 0 where discharge is forbidden
    reserve_kwh: FloatArray = field(init=False, repr=False)  # (N,)
    required_kwh: FloatArray = field(init=False, repr=False)  # (N,) -inf where no departure in play
    floor_kwh: FloatArray = field(init=False, repr=False)  # (N, K+1)
    hopeless: BoolArray = field(init=False, repr=False)  # (N,) cannot reach departure_soc even flat out
    hold_floor_kwh: FloatArray = field(init=False, repr=False)  # (N,) after interval 0; -inf: no hold

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
        hold_floor = self._hold_floor(available)
        if len(horizon):
            floor[:, 1] = np.maximum(floor[:, 1], hold_floor)
        values = {
            "available": available,
            "baseline_kw": self._baseline(),
            "discharge_limit_kw": discharge,
            "reserve_kwh": reserve,
            "required_kwh": required,
            "floor_kwh": floor,
            "hopeless": hopeless,
            "hold_floor_kwh": hold_floor,
        }
        for name, array in values.items():
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    def _hold_floor(self, available: BoolArray) -> FloatArray:
        """Stored energy after interval 0 at the lowest power safe to hold for max(hold_h, interval 0)."""
        fleet, horizon = self.fleet, self.horizon
        if self.hold_h <= 0.0 or len(horizon) == 0:
            return np.full(len(fleet), -np.inf)
        dt_h = float(horizon.duration_h[0])
        lo = hold_floor_kw(fleet, float(horizon.start_ts[0]), max(self.hold_h, dt_h))
        room_kw = np.maximum(fleet.capacity_kwh - fleet.energy_kwh, 0.0) / (fleet.efficiency * dt_h)
        reachable_kw = np.minimum(fleet.max_charge_kw, room_kw)  # where no power is safe: full rate
        held = fleet.energy_kwh + energy_delta_kwh(np.minimum(lo, reachable_kw), fleet.efficiency, dt_h)
        floor: FloatArray = np.where(available[:, 0] & np.isfinite(lo), held, -np.inf)
        return floor

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
