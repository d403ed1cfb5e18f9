"""Battery physics of CONTRACT.md: efficiency on the way in and on the way out."""

from __future__ import annotations

import numpy as np

from ven.model.fleet import FloatArray

# A departure this close below its departure_soc meets it: 1e-4 of capacity (23 Wh on a 226 kWh bus), far
# below the 1 % SOC chargers report (OCPP, ISO 15118), far above float and clock-step rounding. One
# definition for every check of departures (demo, season, dashboard).
DEPARTURE_SOC_TOLERANCE = 1e-4


def energy_delta_kwh(power_kw: FloatArray, efficiency: FloatArray, dt_h: float | FloatArray) -> FloatArray:
    """Stored-energy change over dt: eff·p·dt when charging, p·dt/eff when discharging."""
    return np.where(power_kw >= 0.0, efficiency * power_kw, power_kw / efficiency) * dt_h


def power_for_delta_kw(delta_kwh: FloatArray, efficiency: FloatArray, dt_h: float | FloatArray) -> FloatArray:
    """Inverse of energy_delta_kwh: the power that changes stored energy by delta over dt."""
    return np.where(delta_kwh >= 0.0, delta_kwh / efficiency, delta_kwh * efficiency) / dt_h


def trajectory_kwh(
    initial_kwh: FloatArray, power_kw: FloatArray, efficiency: FloatArray, dt_h: FloatArray
) -> FloatArray:
    """(N, K+1) stored energy at each interval boundary under (N, K) powers."""
    deltas = energy_delta_kwh(power_kw, efficiency[:, None], dt_h[None, :])
    out = np.empty((power_kw.shape[0], power_kw.shape[1] + 1))
    out[:, 0] = initial_kwh
    np.cumsum(deltas, axis=1, out=out[:, 1:])
    out[:, 1:] += initial_kwh[:, None]
    return out
