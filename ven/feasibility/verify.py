"""The last guard before dispatch: check any allocation against the hard constraints of CONTRACT.md."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from ven.errors import SafetyViolationError
from ven.feasibility.envelope import ENERGY_TOL_KWH, Envelope
from ven.feasibility.physics import trajectory_kwh
from ven.model.fleet import FloatArray

POWER_TOL_KW = 1e-6


class Constraint(StrEnum):
    POWER_LIMIT = "power_limit"
    UNAVAILABLE = "unavailable"
    RESERVE = "reserve"
    FULL = "soc_above_1"
    DEPARTURE = "departure"
    FLAT_OUT = "hopeless_not_flat_out"
    HOLD = "unsafe_to_hold"  # the first interval's power, held until its setpoint expires, breaks one


@dataclass(frozen=True, slots=True)
class Violation:
    ev_id: str
    interval: int | None
    constraint: Constraint
    detail: str

    def __str__(self) -> str:
        where = f"interval {self.interval}" if self.interval is not None else "departure"
        return f"{self.ev_id} {where}: {self.constraint} ({self.detail})"


def violations(envelope: Envelope, power_kw: FloatArray, limit: int = 100) -> list[Violation]:
    """Every hard-constraint breach of an (N, K) allocation, up to `limit` of them."""
    fleet, horizon = envelope.fleet, envelope.horizon
    power = np.asarray(power_kw, dtype=np.float64)
    if power.shape != (len(fleet), len(horizon)):
        raise SafetyViolationError(f"allocation shape {power.shape} != {(len(fleet), len(horizon))}")
    found: list[Violation] = []
    ids = fleet.ids

    def flag(mask: np.ndarray, constraint: Constraint, detail: str) -> None:
        for i, k in zip(*np.nonzero(mask), strict=True):
            if len(found) >= limit:
                return
            found.append(Violation(ids[i], int(k), constraint, detail.format(p=power[i, k])))

    if not np.all(np.isfinite(power)):
        flag(~np.isfinite(power), Constraint.POWER_LIMIT, "power {p} is not finite")
        return found
    flag(
        power > fleet.max_charge_kw[:, None] + POWER_TOL_KW,
        Constraint.POWER_LIMIT,
        "{p:.3f} kW above max_charge_kw",
    )
    flag(
        power < -envelope.discharge_limit_kw[:, None] - POWER_TOL_KW,
        Constraint.POWER_LIMIT,
        "{p:.3f} kW beyond the discharge allowed",
    )
    flag(
        ~envelope.available & (np.abs(power) > POWER_TOL_KW),
        Constraint.UNAVAILABLE,
        "{p:.3f} kW while unplugged",
    )

    energy = trajectory_kwh(fleet.energy_kwh, power, fleet.efficiency, horizon.duration_h)[:, 1:]
    capacity = fleet.capacity_kwh[:, None]
    flag(energy < envelope.reserve_kwh[:, None] - ENERGY_TOL_KWH, Constraint.RESERVE, "SOC below reserve")
    flag(energy > capacity + ENERGY_TOL_KWH, Constraint.FULL, "SOC above 1")

    # The setpoint applied now may be the last: held until it expires, then baseline (ven.feasibility.hold).
    first = np.zeros(power.shape, dtype=bool)
    first[:, 0] = energy[:, 0] < envelope.hold_floor_kwh - ENERGY_TOL_KWH
    flag(first, Constraint.HOLD, "{p:.3f} kW is not safe to hold until the setpoint expires")

    hopeless = envelope.hopeless[:, None] & envelope.available
    room_kw = np.maximum(capacity - np.hstack([fleet.energy_kwh[:, None], energy[:, :-1]]), 0.0) / (
        fleet.efficiency[:, None] * horizon.duration_h[None, :]
    )
    full_rate = np.minimum(fleet.max_charge_kw[:, None], room_kw)
    flag(hopeless & (power < full_rate - POWER_TOL_KW), Constraint.FLAT_OUT, "{p:.3f} kW, not full rate")

    # Departure: the floor at the last boundary already folds in full-rate charging until departure.
    short = ~envelope.hopeless & (energy[:, -1] < envelope.required_kwh - ENERGY_TOL_KWH)
    for i in np.nonzero(short)[0]:
        if len(found) >= limit:
            break
        found.append(
            Violation(
                ids[i],
                None,
                Constraint.DEPARTURE,
                f"{energy[i, -1]:.3f} kWh at last interval, needs {envelope.required_kwh[i]:.3f}",
            )
        )
    return found


def verify(envelope: Envelope, power_kw: FloatArray) -> None:
    """Raise SafetyViolationError naming the breaches if the allocation breaks any hard constraint."""
    found = violations(envelope, power_kw)
    if found:
        shown = "; ".join(str(v) for v in found[:5])
        more = f" (+{len(found) - 5} more)" if len(found) > 5 else ""
        raise SafetyViolationError(f"allocation breaks hard constraints: {shown}{more}")
