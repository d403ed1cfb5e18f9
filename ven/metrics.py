"""Dispatch quality, with the definitions of EV2Gym and ACN-Sim, for plans, demos and simulations.

Protocol-neutral: every figure is computed from plain arrays (requested and delivered reduction per
interval, per-EV power and energies), so `ven plan`, `ven demo` and the season simulator report the same
numbers the same way. Definitions (docs/policies.md):

- energy_tracking_error_kwh: Σ_k |requested_k − delivered_k| · dt_k (EV2Gym's energy tracking error),
  requested and delivered as reductions from the baseline, kW.
- delivered_energy_ratio: Σ delivered·dt / Σ requested·dt (ACN-Sim's delivered / requested energy);
  None when nothing was requested.
- user_satisfaction (per EV with a departure): min(1, stored energy at departure / departure_soc ·
  capacity); the fleet figures are its min and mean, None when no EV leaves at a set time.
- discharged_kwh: energy exported by batteries, at the charger, Σ max(−p, 0) · dt.
- equivalent_full_cycles: energy drawn from the batteries by discharging (p·dt/efficiency) over the
  usable capacity of the EVs allowed to discharge (battery throughput in full discharges).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ven.model.fleet import BoolArray, FloatArray
    from ven.plan import Plan

# Energies below this (kWh) count as nothing requested / nothing needed.
_NOTHING_KWH = 1e-9


@dataclass(frozen=True, slots=True)
class DispatchMetrics:
    energy_tracking_error_kwh: float
    delivered_energy_ratio: float | None
    user_satisfaction_min: float | None
    user_satisfaction_mean: float | None
    discharged_kwh: float
    equivalent_full_cycles: float

    def as_json(self) -> dict[str, float | None]:
        """The `metrics` object of `ven plan --json` and `ven demo --json` (rounded for reading)."""
        return {
            name: None if value is None else round(value, 6) + 0.0 for name, value in asdict(self).items()
        }


@dataclass(frozen=True, slots=True)
class Tracking:
    """Requested and delivered reduction per interval (kW) and the intervals' lengths (h)."""

    requested_kw: FloatArray
    delivered_kw: FloatArray
    duration_h: FloatArray

    @property
    def error_kwh(self) -> float:
        return float(np.abs(self.requested_kw - self.delivered_kw) @ self.duration_h)

    @property
    def delivered_ratio(self) -> float | None:
        requested = float(self.requested_kw @ self.duration_h)
        if abs(requested) < _NOTHING_KWH:
            return None
        return float(self.delivered_kw @ self.duration_h) / requested


@dataclass(frozen=True, slots=True)
class Throughput:
    """Battery discharge: at the charger (kWh) and drawn from the batteries (kWh), and the capacity that
    may cycle (kWh, the EVs allowed to discharge)."""

    discharged_kwh: float
    drawn_kwh: float
    cycling_capacity_kwh: float

    @classmethod
    def of_energy(
        cls,
        stored_kwh: FloatArray,
        efficiency: FloatArray,
        capacity_kwh: FloatArray,
        can_discharge: BoolArray,
    ) -> Throughput:
        """From (N, T) measured stored energy: every fall counts as discharge (one measurement apart)."""
        fall = np.maximum(-np.diff(np.asarray(stored_kwh), axis=1), 0.0).sum(
            axis=1
        )  # (N,) from the batteries
        return cls(
            discharged_kwh=float((fall * efficiency).sum()),
            drawn_kwh=float(fall.sum()),
            cycling_capacity_kwh=float(capacity_kwh[can_discharge].sum()),
        )

    @classmethod
    def of(
        cls,
        power_kw: FloatArray,
        duration_h: FloatArray,
        efficiency: FloatArray,
        capacity_kwh: FloatArray,
        can_discharge: BoolArray,
    ) -> Throughput:
        """From (N, K) powers over intervals of `duration_h` hours."""
        exported = np.maximum(-np.asarray(power_kw), 0.0) @ duration_h  # (N,) kWh at the charger
        return cls(
            discharged_kwh=float(exported.sum()),
            drawn_kwh=float((exported / efficiency).sum()),
            cycling_capacity_kwh=float(capacity_kwh[can_discharge].sum()),
        )

    @property
    def equivalent_full_cycles(self) -> float:
        if self.cycling_capacity_kwh <= 0.0:
            return 0.0
        return self.drawn_kwh / self.cycling_capacity_kwh


def user_satisfaction(energy_at_departure_kwh: FloatArray, energy_needed_kwh: FloatArray) -> FloatArray:
    """Per EV: min(1, energy at departure / energy needed); 1 where nothing is needed."""
    needed = np.asarray(energy_needed_kwh, dtype=np.float64)
    ratio = np.divide(energy_at_departure_kwh, needed, out=np.ones_like(needed), where=needed > _NOTHING_KWH)
    satisfied: FloatArray = np.clip(ratio, 0.0, 1.0)
    return satisfied


def dispatch_metrics(tracking: Tracking, throughput: Throughput, satisfaction: FloatArray) -> DispatchMetrics:
    """The six figures from their parts (`satisfaction`: one value per EV that leaves at a set time)."""
    counted = np.asarray(satisfaction, dtype=np.float64)
    return DispatchMetrics(
        energy_tracking_error_kwh=tracking.error_kwh,
        delivered_energy_ratio=tracking.delivered_ratio,
        user_satisfaction_min=float(counted.min()) if counted.size else None,
        user_satisfaction_mean=float(counted.mean()) if counted.size else None,
        discharged_kwh=throughput.discharged_kwh,
        equivalent_full_cycles=throughput.equivalent_full_cycles,
    )


def plan_metrics(plan: Plan) -> DispatchMetrics:
    """A plan's metrics. Energy at departure: the planned energy at the end of the EV's last available
    interval plus charging at max_charge_kw from then until it leaves (what hard constraint 3 assumes)."""
    fleet = plan.fleet
    envelope = plan.problem.envelope
    horizon = plan.problem.request.horizon
    dt_h = horizon.duration_h
    energy = plan.soc * fleet.capacity_kwh[:, None]  # (N, K+1)
    last = envelope.available.sum(axis=1)  # boundary index at the end of the last available interval
    at_last = energy[np.arange(len(fleet)), last]
    last_end_ts = horizon.start_ts[0] + (envelope.available * dt_h).sum(axis=1) * 3600.0
    # EVs plugged in now that leave at a set time after the plan starts: their departure SOC is ours.
    leaves = fleet.plugged_in & np.isfinite(fleet.departure_ts) & (fleet.departure_ts > horizon.start_ts[0])
    after_h = np.maximum(np.where(leaves, fleet.departure_ts - last_end_ts, 0.0), 0.0) / 3600.0
    charged = fleet.efficiency * fleet.max_charge_kw * after_h
    at_departure = np.minimum(at_last + charged, fleet.capacity_kwh)
    satisfaction = user_satisfaction(at_departure, fleet.departure_soc * fleet.capacity_kwh)[leaves]
    return dispatch_metrics(
        Tracking(plan.requested_kw, plan.reduction_kw, dt_h),
        Throughput.of(
            plan.power_kw, dt_h, fleet.efficiency, fleet.capacity_kwh, fleet.max_discharge_kw > 0.0
        ),
        satisfaction,
    )


def metrics_lines(metrics: DispatchMetrics) -> list[str]:
    """The figures as text, one per line, for the plain-text outputs of `ven plan` and `ven demo`."""

    def text(value: float | None, unit: str = "", digits: int = 3) -> str:
        return "n/a" if value is None else f"{value:,.{digits}f}{unit}"

    return [
        "dispatch quality",
        f"  energy tracking error    {text(metrics.energy_tracking_error_kwh, ' kWh', 1)}",
        f"  delivered / requested    {text(metrics.delivered_energy_ratio)}",
        (
            f"  user satisfaction        min {text(metrics.user_satisfaction_min)}, "
            f"mean {text(metrics.user_satisfaction_mean)}"
        ),
        f"  discharged               {text(metrics.discharged_kwh, ' kWh', 1)}",
        f"  equivalent full cycles   {text(metrics.equivalent_full_cycles, '', 4)}",
    ]
