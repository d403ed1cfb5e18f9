"""CONTRACT.md's hard constraints, checked by simulating each EV interval by interval from the contract's own
words. Deliberately independent of ven.feasibility (the verifier make_plan runs): it reads the EVs as
enrolled (`Fleet.evs`) and the horizon's interval bounds, and shares no code with the planner.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ven.model.fleet import EV, Fleet
from ven.model.horizon import Horizon

TOLERANCE = 1e-6  # kW, kWh and SOC: solver round-off


def contract_violations(fleet: Fleet, horizon: Horizon, power_kw: Sequence[Sequence[float]]) -> list[str]:
    """Every breach of the hard constraints by `power_kw` (one row per EV, one column per interval)."""
    bounds = list(horizon.bounds())
    found: list[str] = []
    for ev, row in zip(fleet.evs, power_kw, strict=True):
        found += [f"{ev.ev_id}: {problem}" for problem in _ev_violations(ev, bounds, [float(p) for p in row])]
    return found


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600.0


def _stored(ev: EV, energy_kwh: float, power_kw: float, hours: float) -> float:
    """The contract's battery: charging stores efficiency·p·dt, discharging takes p·dt / efficiency."""
    if power_kw >= 0:
        return energy_kwh + ev.efficiency * power_kw * hours
    return energy_kwh + power_kw * hours / ev.efficiency


def _full_rate_kwh(ev: EV, since: datetime) -> float:
    """Energy stored by charging at max_charge_kw from `since` until departure."""
    assert ev.departure is not None
    return ev.efficiency * ev.max_charge_kw * max(_hours(since, ev.departure), 0.0)


def _hopeless(ev: EV, start: datetime) -> bool:
    """Even full-rate charging from the start cannot reach departure_soc by departure."""
    if not ev.plugged_in or ev.departure is None:
        return False
    needed = ev.departure_soc * ev.capacity_kwh - TOLERANCE
    return ev.soc * ev.capacity_kwh + _full_rate_kwh(ev, start) < needed


def _limits(ev: EV, k: int, power: float, *, hopeless: bool) -> list[str]:
    found = []
    if power > ev.max_charge_kw + TOLERANCE or power < -ev.max_discharge_kw - TOLERANCE:
        found.append(f"interval {k}: {power:.6f} kW outside -{ev.max_discharge_kw}..{ev.max_charge_kw}")
    if ev.soc < ev.min_soc and power < -TOLERANCE:
        found.append(f"interval {k}: discharges although it started below its reserve")
    if hopeless and abs(power - ev.max_charge_kw) > TOLERANCE:
        found.append(f"interval {k}: cannot make its departure, yet not charged at full rate")
    return found


def _state(ev: EV, k: int, soc: float) -> list[str]:
    found = []
    if soc > 1.0 + TOLERANCE:
        found.append(f"interval {k}: SOC {soc:.6f} above 1")
    if ev.soc >= ev.min_soc and soc < ev.min_soc - TOLERANCE:
        found.append(f"interval {k}: SOC {soc:.6f} below its reserve {ev.min_soc}")
    return found


def _ev_violations(ev: EV, bounds: list[tuple[datetime, datetime]], row: list[float]) -> list[str]:
    found: list[str] = []
    energy = ev.soc * ev.capacity_kwh
    start = bounds[0][0]
    hopeless = _hopeless(ev, start)
    last_end: datetime | None = None
    for k, ((begin, end), power) in enumerate(zip(bounds, row, strict=True)):
        available = ev.plugged_in and (ev.departure is None or ev.departure >= end)
        if not available:
            if abs(power) > TOLERANCE:
                found.append(f"interval {k}: {power:.6f} kW while not available")
            continue
        found += _limits(ev, k, power, hopeless=hopeless)
        energy = _stored(ev, energy, power, _hours(begin, end))
        found += _state(ev, k, energy / ev.capacity_kwh)
        last_end = end
    if ev.plugged_in and ev.departure is not None and not hopeless:
        # At the end of the last available interval, full-rate charging until departure must still do.
        reachable = (energy + _full_rate_kwh(ev, last_end or start)) / ev.capacity_kwh
        if reachable < ev.departure_soc - TOLERANCE:
            found.append(f"cannot reach departure SOC {ev.departure_soc}: at most {reachable:.6f}")
    return found
