"""The season's figures as text rows: the headline, the checks, and policies side by side.

Shared by the command's table and the report pages; no plotting here, so the table needs no matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ven.season.results import SeasonResult


def headline(result: SeasonResult) -> list[tuple[str, str]]:
    """The season in a few figures, as (label, value) rows."""
    departures = result.departures
    met = sum(d.met for d in departures)
    early = sum(d.early for d in departures)
    exported = sum(s.exported_kwh for s in result.sites)
    degradation = sum(s.degradation_usd for s in result.sites)
    ratio = result.delivered_ratio
    return [
        ("policy", result.policy),
        ("days / events", f"{result.days} / {len(result.events)}"),
        (
            "events the VEN opted in to",
            f"{sum(e.opt == 'optIn' for e in result.events)} of {len(result.events)}",
        ),
        ("requested, average over event hours", f"{result.requested_kw_avg:,.1f} kW"),
        ("delivered, average over event hours (VTN)", f"{result.delivered_kw_avg:,.1f} kW"),
        ("delivered / requested", "—" if ratio is None else f"{ratio:.1%}"),
        ("programme payment", f"${result.payment_usd:,.2f}"),
        ("departures met / all", f"{met} / {len(departures)} ({early} left earlier than announced)"),
        ("departures below need by the VEN's doing", str(result.departure_soc_violations)),
        ("hard-constraint violations", str(result.constraint_violations)),
        ("energy exported to the grid", f"{exported:,.0f} kWh"),
        ("estimated battery degradation cost", f"${degradation:,.2f}"),
        ("wall time", f"{result.wall_s:.1f} s"),
    ]


def check_rows(result: SeasonResult) -> list[tuple[str, str]]:
    checks = result.checks
    return [
        (
            "energy balance, worst EV (end − start − in + out + trips)",
            f"{checks.energy_balance_max_kwh:.2e} kWh",
        ),
        ("SOC jumps (energy without power or trip)", str(checks.soc_jumps)),
        ("setpoints beyond an EV's limits", str(checks.limit_violations)),
        ("discharge below reserve (steps)", str(checks.reserve_violations)),
        ("trip energy the batteries could not cover", f"{checks.trip_shortfall_kwh:.1f} kWh"),
        (
            "payment recomputed from the VTN's per-interval rows",
            f"${checks.payment_recomputed_usd:,.2f} (reported ${result.payment_usd:,.2f})",
        ),
        (
            "VTN's measured vs metered kW, worst event interval",
            f"{checks.metering_gap_kw:,.1f} kW over {checks.metered_intervals} intervals",
        ),
        ("simulator steps", str(checks.steps)),
    ]


def comparison(results: Sequence[SeasonResult]) -> tuple[list[str], list[list[str]]]:
    header = [
        "policy",
        "events",
        "requested kW",
        "delivered kW",
        "ratio",
        "payment $",
        "departure violations",
        "constraint violations",
        "exported kWh",
        "degradation $",
        "wall s",
    ]
    rows = [
        [
            r.policy,
            str(len(r.events)),
            f"{r.requested_kw_avg:,.1f}",
            f"{r.delivered_kw_avg:,.1f}",
            "—" if r.delivered_ratio is None else f"{r.delivered_ratio:.1%}",
            f"{r.payment_usd:,.0f}",
            str(r.departure_soc_violations),
            str(r.constraint_violations),
            f"{sum(s.exported_kwh for s in r.sites):,.0f}",
            f"{sum(s.degradation_usd for s in r.sites):,.0f}",
            f"{r.wall_s:.0f}",
        ]
        for r in results
    ]
    return header, rows
