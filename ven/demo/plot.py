"""The demo's plot (PNG): requested vs delivered kW per interval, and SOC by vehicle class over time.

Drawn on a bare `Figure` with the Agg canvas: no pyplot, no global state, no display needed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from ven.demo.result import DemoResult, IntervalRow


def _steps(rows: list[IntervalRow], value: list[float | None]) -> tuple[list[datetime], list[float]]:
    """Step-plot points: each interval's value held from its start to its end."""
    xs: list[datetime] = []
    ys: list[float] = []
    for row, y in zip(rows, value, strict=True):
        if y is None:
            continue
        xs += [row.program_start, row.program_end]
        ys += [y, y]
    return xs, ys


def write_plot(result: DemoResult, path: Path) -> Path:
    """Draw and save; returns the path written."""
    figure = Figure(figsize=(11, 7.5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    power, soc = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    rows, series = result.intervals, result.series
    zone = rows[0].program_start.tzinfo if rows else None
    curves: tuple[tuple[str, list[float | None], dict[str, Any]], ...] = (
        ("requested reduction (VTN)", [r.requested_kw for r in rows], {"color": "black", "lw": 2.2}),
        (
            "delivered reduction (VTN: baseline − measured)",
            [r.delivered_kw for r in rows],
            {"color": "tab:green", "lw": 2.2, "ls": "--"},
        ),
        (
            "fleet net power (measured; < 0 = to the grid)",
            [r.measured_kw for r in rows],
            {"color": "tab:red", "lw": 1.6},
        ),
        ("baseline reported by the VEN", [r.baseline_kw for r in rows], {"color": "tab:gray", "lw": 1.2}),
    )
    for label, values, style in curves:
        xs, ys = _steps(rows, values)
        power.plot(xs, ys, label=label, **style)
    live = [(t, d) for t, d in zip(series.program_times, series.delivered_kw, strict=True) if d is not None]
    if live:
        power.plot(
            [t for t, _ in live],
            [d for _, d in live],
            color="tab:green",
            lw=0.6,
            alpha=0.5,
            label="delivered, VEN samples",
        )
    power.axhline(0, color="black", lw=0.5)
    power.set_ylabel("kW")
    ratio = "" if result.delivered_ratio is None else f" = {result.delivered_ratio:.1%}"
    power.set_title(
        f"{result.ven_name}: {result.evs} EVs over OpenADR 2.0b, event {result.event_id} "
        f"({result.program_day}) — requested {result.requested_kw:,.0f} kW, "
        f"delivered {result.delivered_kw:,.0f} kW{ratio}",
        fontsize=10,
    )
    power.legend(loc="center right", fontsize=8)
    power.grid(alpha=0.3)
    for name, socs in series.soc_by_class.items():
        soc.plot(series.program_times, [100 * v for v in socs], label=name, lw=1.6)
    if rows:
        for axis in (power, soc):
            axis.axvspan(rows[0].program_start, rows[-1].program_end, color="tab:orange", alpha=0.08)
    soc.set_ylabel("SOC %, by vehicle class")
    soc.set_xlabel(f"time on the program day ({zone})")
    soc.legend(loc="lower left", fontsize=8, ncols=3)
    soc.grid(alpha=0.3)
    soc.xaxis.set_major_formatter(DateFormatter("%H:%M", tz=zone))  # type: ignore[no-untyped-call]
    figure.savefig(path)
    return path
