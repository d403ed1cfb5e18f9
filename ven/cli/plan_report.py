"""Render a Plan as CONTRACT.md's JSON object or as a readable table."""

from __future__ import annotations

from typing import Any

import numpy as np

from ven.metrics import metrics_lines, plan_metrics
from ven.plan import Plan


def _num(value: float) -> float:
    # Round off float noise and normalise -0.0 so the JSON reads cleanly.
    return round(float(value), 9) + 0.0


def as_json(plan: Plan) -> dict[str, Any]:
    horizon = plan.problem.request.horizon
    baseline = plan.problem.baseline_kw
    intervals = [
        {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "requested_reduction_kw": _num(plan.requested_kw[k]),
            "baseline_kw": _num(plan.baseline_kw[k]),
            "power_kw": _num(plan.fleet_power_kw[k]),
            "reduction_kw": _num(plan.reduction_kw[k]),
            "shortfall_kw": _num(plan.shortfall_kw[k]),
        }
        for k, (start, end) in enumerate(horizon.bounds())
    ]
    evs = [
        {
            "ev_id": ev.ev_id,
            "site": ev.site,
            "baseline_kw": [_num(v) for v in baseline[i]],
            "power_kw": [_num(v) for v in plan.power_kw[i]],
            "soc": [_num(v) for v in plan.soc[i]],
        }
        for i, ev in enumerate(plan.fleet.evs)
    ]
    totals = {
        "shortfall_kwh": _num(plan.shortfall_kwh),
        "discharge_kwh": _num(plan.discharge_kwh),
        "requested_kwh": _num(float(plan.requested_kw @ horizon.duration_h)),
        "reduction_kwh": _num(float(plan.reduction_kw @ horizon.duration_h)),
    }
    return {
        "policy": plan.policy,
        "intervals": intervals,
        "evs": evs,
        "totals": totals,
        "metrics": plan_metrics(plan).as_json(),
    }


def as_table(plan: Plan) -> str:
    horizon = plan.problem.request.horizon
    lines = [
        (
            f"policy {plan.policy}: {len(plan.fleet)} EVs, {len(horizon)} intervals "
            f"from {horizon.start.isoformat()}"
        ),
        "",
        (
            f"{'interval start':<26}{'requested kW':>14}{'baseline kW':>14}{'planned kW':>14}"
            f"{'reduction kW':>14}{'shortfall kW':>14}"
        ),
    ]
    for k, (start, _) in enumerate(horizon.bounds()):
        lines.append(
            f"{start.isoformat():<26}{plan.requested_kw[k]:>14.1f}{plan.baseline_kw[k]:>14.1f}"
            f"{plan.fleet_power_kw[k]:>14.1f}{plan.reduction_kw[k]:>14.1f}{plan.shortfall_kw[k]:>14.1f}"
        )
    lines += [
        "",
        (
            f"{'site':<24}{'EVs':>5}{'baseline kWh':>14}{'planned kWh':>14}{'exported kWh':>14}"
            f"{'min SOC':>9}{'end SOC':>9}"
        ),
    ]
    sites = [ev.site for ev in plan.fleet.evs]
    dt_h = horizon.duration_h
    for site in sorted(set(sites)):
        mask = np.array([s == site for s in sites])
        lines.append(
            f"{site:<24}{int(mask.sum()):>5}{float((plan.problem.baseline_kw[mask] @ dt_h).sum()):>14.1f}"
            f"{float((plan.power_kw[mask] @ dt_h).sum()):>14.1f}"
            f"{float((np.maximum(-plan.power_kw[mask], 0.0) @ dt_h).sum()):>14.1f}"
            f"{float(plan.soc[mask].min()):>9.3f}{float(plan.soc[mask, -1].mean()):>9.3f}"
        )
    lines += [
        "",
        f"shortfall {plan.shortfall_kwh:.1f} kWh, exported from batteries {plan.discharge_kwh:.1f} kWh",
        "",
        *metrics_lines(plan_metrics(plan)),
    ]
    return "\n".join(lines)
