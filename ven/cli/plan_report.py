"""Render a Plan as CONTRACT.md's JSON object or as a readable table."""

from __future__ import annotations

from datetime import UTC, tzinfo
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


def as_table(plan: Plan, zone: tzinfo = UTC) -> str:
    """Per interval and per site, columns aligned; interval times local to `zone`."""
    horizon = plan.problem.request.horizon
    dt_h = horizon.duration_h
    local_start = horizon.start.astimezone(zone)
    same_day = all(s.astimezone(zone).date() == local_start.date() for s, _ in horizon.bounds())
    time_format = "%H:%M" if same_day else "%a %d %b %H:%M"
    head = ["interval", "requested kW", "baseline kW", "planned kW", "reduction kW", "shortfall kW"]
    rows = [
        [
            f"{start.astimezone(zone):{time_format}}-{end.astimezone(zone):%H:%M}",
            *(f"{v:,.1f}" for v in (plan.requested_kw[k], plan.baseline_kw[k], plan.fleet_power_kw[k])),
            *(f"{v:,.1f}" for v in (plan.reduction_kw[k], plan.shortfall_kw[k])),
        ]
        for k, (start, end) in enumerate(horizon.bounds())
    ]
    site_head = ["site", "EVs", "baseline kWh", "planned kWh", "exported kWh", "min SOC", "end SOC"]
    sites = [ev.site for ev in plan.fleet.evs]
    site_rows = []
    for site in sorted(set(sites)):
        mask = np.array([s == site for s in sites])
        site_rows.append(
            [
                site,
                str(int(mask.sum())),
                f"{float((plan.problem.baseline_kw[mask] @ dt_h).sum()):,.1f}",
                f"{float((plan.power_kw[mask] @ dt_h).sum()):,.1f}",
                f"{float((np.maximum(-plan.power_kw[mask], 0.0) @ dt_h).sum()):,.1f}",
                f"{float(plan.soc[mask].min()):.3f}",
                f"{float(plan.soc[mask, -1].mean()):.3f}",
            ]
        )
    zone_name = local_start.tzname() or str(zone)
    if not zone_name.startswith(("UTC", "+", "-")):
        zone_name += f" (UTC{local_start:%z})"
    return "\n".join(
        [
            (
                f"policy {plan.policy}: {len(plan.fleet)} EVs, {len(horizon)} intervals from "
                f"{local_start:%Y-%m-%d %H:%M} {zone_name}"
            ),
            "",
            *_aligned(head, rows),
            "",
            *_aligned(site_head, site_rows),
            "",
            (
                f"shortfall {plan.shortfall_kwh:,.1f} kWh, "
                f"exported from batteries {plan.discharge_kwh:,.1f} kWh"
            ),
            "",
            *metrics_lines(plan_metrics(plan)),
        ]
    )


def _aligned(head: list[str], rows: list[list[str]]) -> list[str]:
    """A header and rows, each column as wide as its widest cell; text left, numbers right."""
    widths = [max(len(line[i]) for line in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    return [line(head), *(line(row) for row in rows)]
