"""The physical state of every simulated EV (energy, plug, power, setpoint), stepped at once with numpy."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ven.chargers import battery

if TYPE_CHECKING:
    from ven.model.fleet import BoolArray, Fleet, FloatArray, IntArray


class SimulatedEVs:
    """Column state aligned with `fleet.evs`; SimulatedFleet wraps it with time, faults and events.

    `setpoint_kw` is NaN where no setpoint is in force: that EV charges as the baseline does. A setpoint
    lapses at its `setpoint_until_ts` (the charger's fail-safe: baseline behaviour again).
    """

    def __init__(self, fleet: Fleet, now_ts: float, ramp_kw_per_s: float | None) -> None:
        size = len(fleet)
        self.fleet = fleet
        self.ramp_kw_per_s = ramp_kw_per_s
        self.energy_kwh = fleet.energy_kwh.copy()
        self.departure_ts = fleet.departure_ts.copy()
        self.plugged_in = fleet.plugged_in & (self.departure_ts > now_ts)
        self.power_kw = np.zeros(size)
        self.setpoint_kw = np.full(size, np.nan)
        self.step_power_kw = np.zeros(size)  # the last step's power, departing EVs' included
        self.connected_h = np.zeros(size)  # hours each EV was connected at it
        self.setpoint_until_ts = np.full(size, np.inf)

    def command(self, ix: IntArray, power_kw: FloatArray, until_ts: float) -> None:
        """Setpoints for EVs `ix`, in force until `until_ts`."""
        self.setpoint_kw[ix] = power_kw
        self.setpoint_until_ts[ix] = until_ts

    def clear(self, ix: IntArray | BoolArray) -> None:
        """No setpoint for EVs `ix`: they charge as the baseline does."""
        self.setpoint_kw[ix] = np.nan
        self.setpoint_until_ts[ix] = np.inf

    def expire(self, now_ts: float) -> None:
        """Setpoints whose end has come lapse: those EVs are back to baseline behaviour."""
        self.clear(self.setpoint_until_ts <= now_ts)

    def next_expiry_ts(self) -> float:
        """When the next setpoint lapses (inf: none in force)."""
        return float(self.setpoint_until_ts.min(initial=np.inf))

    def step(self, t0: float, t1: float) -> BoolArray:
        """Run from t0 to t1 at the current setpoints; returns who departed (and is now unplugged).

        Afterwards `step_power_kw` holds each EV's power over the step (the departing ones' too; `power_kw`
        is 0 for them) and `connected_h` the hours each was connected at it (a departing EV only until its
        departure)."""
        fleet, dt_s = self.fleet, t1 - t0
        self.expire(t0)
        leaving = self.plugged_in & (self.departure_ts <= t1)
        # Hours each EV is connected during this step: a departing EV only until its departure.
        share = np.where(leaving, np.clip((self.departure_ts - t0) / dt_s, 0.0, 1.0), 1.0)
        connected_h = np.where(self.plugged_in, share * dt_s / 3600.0, 0.0)
        managed = ~np.isnan(self.setpoint_kw)
        base = battery.baseline_kw(
            self.energy_kwh,
            capacity_kwh=fleet.capacity_kwh,
            target_soc=fleet.target_soc,
            efficiency=fleet.efficiency,
            max_charge_kw=fleet.max_charge_kw,
            dt_h=connected_h,
        )
        wanted = np.where(managed, self.setpoint_kw, base)
        max_change_kw = None if self.ramp_kw_per_s is None else self.ramp_kw_per_s * dt_s
        power = battery.ramp_kw(self.power_kw, wanted, max_change_kw)
        # Unmanaged charging stops exactly at target_soc, ramp or not.
        power = np.where(managed, power, np.minimum(power, base))
        physics = {"capacity_kwh": fleet.capacity_kwh, "efficiency": fleet.efficiency, "dt_h": connected_h}
        power = np.where(self.plugged_in, battery.bms_limit_kw(power, self.energy_kwh, **physics), 0.0)
        self.energy_kwh = battery.integrate_kwh(self.energy_kwh, power, **physics)
        self.connected_h = connected_h
        self.step_power_kw = power
        self.power_kw = np.where(leaving, 0.0, power)
        self.plugged_in &= ~leaving
        self.clear(leaving)
        return leaving

    def plug(
        self,
        i: int,
        plugged_in: bool,
        soc: float | None = None,
        departure_ts: float | None = None,
        used_kwh: float | None = None,
    ) -> bool:
        """Plug EV i in (with its arrival SOC, or the energy its trip used, and its next departure) or out;
        True if its plug state changed."""
        if plugged_in:
            if soc is not None:
                self.energy_kwh[i] = soc * self.fleet.capacity_kwh[i]
            if used_kwh is not None:
                self.energy_kwh[i] = max(self.energy_kwh[i] - used_kwh, 0.0)
            self.departure_ts[i] = math.inf if departure_ts is None else departure_ts
        if bool(self.plugged_in[i]) == plugged_in:
            return False
        self.plugged_in[i] = plugged_in
        self.power_kw[i] = 0.0
        self.clear(np.array([i]))  # a new session starts unmanaged; an ended one loses its setpoint
        return True
