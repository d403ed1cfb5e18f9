"""The EV behind one simulated station, following its charging profile with the CONTRACT.md physics.

Three controls: none (unmanaged: baseline charging, full rate until target_soc), an OCPP 2.1 setpoint
(signed, within the profile's limit / dischargeLimit and the EV's own limits), an OCPP 2.0.1 limit (charge
as the baseline would, but never above the limit). Physics: ven.chargers.battery, on one-element arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from ven.chargers import battery


@dataclass(frozen=True, slots=True)
class EvSpec:
    """The vehicle a simulated station serves."""

    capacity_kwh: float
    soc: float
    max_charge_kw: float
    max_discharge_kw: float = 0.0
    target_soc: float = 1.0
    efficiency: float = 0.92
    departure: datetime | None = None
    departure_soc: float = 0.8


@dataclass(frozen=True, slots=True)
class Setpoint:
    """OCPP 2.1 CentralSetpoint: follow power_kw (negative = discharge) within [-discharge, charge]."""

    power_kw: float
    max_charge_kw: float
    max_discharge_kw: float


@dataclass(frozen=True, slots=True)
class Limit:
    """OCPP 2.0.1 limit: charge as unmanaged, but at most max_kw."""

    max_kw: float


Control = Setpoint | Limit | None


def _one(value: float) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    return np.array([value], dtype=np.float64)


class StationEV:
    """Stored energy and the power drawn now; `advance` integrates the power in force over time."""

    def __init__(self, spec: EvSpec) -> None:
        self.spec = spec
        self.energy_kwh = spec.soc * spec.capacity_kwh
        self.control: Control = None

    @property
    def soc(self) -> float:
        return self.energy_kwh / self.spec.capacity_kwh

    def power_kw(self, dt_s: float = 1.0) -> float:
        """The power the EV draws under its control now (BMS-limited so a step of dt_s stays in bounds)."""
        spec, dt_h = self.spec, _one(dt_s / 3600.0)
        energy, capacity, efficiency = _one(self.energy_kwh), _one(spec.capacity_kwh), _one(spec.efficiency)
        baseline = float(
            battery.baseline_kw(
                energy,
                capacity_kwh=capacity,
                target_soc=_one(spec.target_soc),
                efficiency=efficiency,
                max_charge_kw=_one(spec.max_charge_kw),
                dt_h=dt_h,
            )[0]
        )
        control = self.control
        if control is None:
            wanted = baseline
        elif isinstance(control, Limit):
            wanted = min(baseline, max(control.max_kw, 0.0))
        else:
            low = -min(control.max_discharge_kw, spec.max_discharge_kw)
            high = min(control.max_charge_kw, spec.max_charge_kw)
            wanted = min(max(control.power_kw, low), high)
        limited = battery.bms_limit_kw(
            _one(wanted), energy, capacity_kwh=capacity, efficiency=efficiency, dt_h=dt_h
        )
        return float(limited[0]) + 0.0

    def advance(self, dt_s: float) -> None:
        """Run dt_s seconds at the current control."""
        if dt_s <= 0 or not math.isfinite(dt_s):
            return
        spec, dt_h = self.spec, _one(dt_s / 3600.0)
        power = _one(self.power_kw(dt_s))
        self.energy_kwh = float(
            battery.integrate_kwh(
                _one(self.energy_kwh),
                power,
                capacity_kwh=_one(spec.capacity_kwh),
                efficiency=_one(spec.efficiency),
                dt_h=dt_h,
            )[0]
        )
