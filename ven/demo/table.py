"""The demo's per-interval table (plain text): requested vs delivered as the VTN measured them, and SOC."""

from __future__ import annotations

from ven.demo.result import DemoResult
from ven.metrics import metrics_lines


def _kw(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def render(result: DemoResult) -> str:
    """Header lines, one row per event interval, and the totals."""
    site_types = list(result.intervals[0].soc_by_site_type) if result.intervals else []
    head = ["time", "requested kW", "baseline kW", "measured kW", "delivered kW"]
    head += [f"SOC {name}" for name in site_types]
    rows = [
        [
            row.program_time,
            _kw(row.requested_kw),
            _kw(row.baseline_kw),
            _kw(row.measured_kw),
            _kw(row.delivered_kw),
            *(f"{row.soc_by_site_type[name]:.1%}" for name in site_types),
        ]
        for row in result.intervals
    ]
    widths = [max(len(line[i]) for line in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded)

    ratio = "—" if result.delivered_ratio is None else f"{result.delivered_ratio:.1%}"
    departures = result.departures
    short = f" ({', '.join(departures.violations)})" if departures.violations else ""
    out = [
        (
            f"event {result.event_id}, program day {result.program_day} (local time), VEN {result.ven_name} "
            f"({result.evs} EVs, policy {result.policy}), opt: {result.opt or '—'}"
        ),
        "",
        line(head),
        *(line(r) for r in rows),
        "",
        (
            f"requested {result.requested_kw:,.0f} kW, delivered {result.delivered_kw:,.0f} kW on average "
            f"({ratio}, as the VTN measured it: baseline − measured from the VEN's reports)"
        ),
        f"fleet net power {result.measured_kw:,.0f} kW on average (negative = back to the grid)",
        f"departure SOC: {departures.departed} EVs left, {len(departures.violations)} below it{short}",
        f"{result.wall_s:.0f} s wall at {result.time_scale:g}x simulated time"
        if result.chargers == "simulated"
        else f"{result.wall_s:.0f} s wall in real time, chargers: {result.chargers}",
    ]
    if result.departure_note:
        out.insert(-1, f"  ({result.departure_note})")
    if result.metrics is not None:
        out += ["", *metrics_lines(result.metrics)]
    if result.plot:
        out.append(f"plot: {result.plot}")
    return "\n".join(out)
