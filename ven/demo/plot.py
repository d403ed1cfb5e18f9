"""The demo's plot (PNG): requested vs delivered kW per interval, and SOC by vehicle class over time.

Drawn on a bare `Figure` with the Agg canvas: no pyplot, no global state, no display needed. Every series
stays visible: delivered reduction as bars under the requested reduction's step line, legends beside the
axes (never over the data), and the EVs that left marked on the SOC panel (red crosses below their
departure SOC). The time axis says what it is: simulated time on the program day, or, when the event ran
compressed in real time (`--chargers ocpp`), seconds since the event started.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from ven.demo.result import DemoResult, IntervalRow

X = Callable[[datetime], Any]  # program time -> x-axis value (a datetime, or seconds)
LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": 8, "frameon": False}


def _axis(result: DemoResult) -> tuple[X, str]:
    """How program times map to x values, and the axis label that says so."""
    rows = result.intervals
    if result.time_compression != 1.0 and rows:
        origin, factor = rows[0].program_start, result.time_compression
        return (
            lambda t: (t - origin).total_seconds() / factor,
            f"seconds since the event started (real time; the program's intervals shortened {factor:g}x)",
        )
    zone = rows[0].program_start.tzinfo if rows else None
    return (lambda t: t), f"simulated time on the program day {result.program_day} ({zone})"


def _steps(rows: list[IntervalRow], values: list[float | None], x: X) -> tuple[list[Any], list[float]]:
    """Step-plot points: each interval's value held from its start to its end."""
    xs: list[Any] = []
    ys: list[float] = []
    for row, y in zip(rows, values, strict=True):
        if y is not None:
            xs += [x(row.program_start), x(row.program_end)]
            ys += [y, y]
    return xs, ys


def _power(axes: Axes, result: DemoResult, x: X) -> None:
    rows = result.intervals
    delivered = [(r, r.delivered_kw) for r in rows if r.delivered_kw is not None]
    if delivered:
        starts = [x(r.program_start) for r, _ in delivered]
        widths = [x(r.program_end) - x(r.program_start) for r, _ in delivered]
        axes.bar(
            starts,
            [kw for _, kw in delivered],
            width=widths,
            align="edge",
            color="tab:green",
            alpha=0.35,
            edgecolor="tab:green",
            label="delivered reduction per interval (VTN: baseline − measured)",
        )
    lines: tuple[tuple[str, list[float | None], dict[str, Any]], ...] = (
        ("requested reduction (VTN)", [r.requested_kw for r in rows], {"color": "black", "lw": 2.0}),
        ("fleet net power (measured; < 0 = export)", [r.measured_kw for r in rows], {"color": "tab:red"}),
        ("baseline reported by the VEN", [r.baseline_kw for r in rows], {"color": "tab:gray", "ls": "--"}),
    )
    for label, values, style in lines:
        xs, ys = _steps(rows, values, x)
        axes.plot(xs, ys, label=label, **style)
    series = result.series
    live = [(t, d) for t, d in zip(series.program_times, series.delivered_kw, strict=True) if d is not None]
    if live:
        axes.plot(
            [x(t) for t, _ in live],
            [d for _, d in live],
            color="darkgreen",
            lw=1.0,
            label="delivered, the VEN's own samples",
        )
    axes.axhline(0, color="black", lw=0.5)
    axes.set_ylabel("kW")
    ratio = "" if result.delivered_ratio is None else f" = {result.delivered_ratio:.1%}"
    axes.set_title(
        f"{result.ven_name}: {result.evs} EVs over OpenADR 2.0b, event {result.event_id} "
        f"({result.program_day}) — requested {result.requested_kw:,.0f} kW, "
        f"delivered {result.delivered_kw:,.0f} kW{ratio}",
        fontsize=10,
    )
    axes.legend(**LEGEND)
    axes.grid(alpha=0.3)


def _soc(axes: Axes, result: DemoResult, x: X) -> None:
    series = result.series
    times = [x(t) for t in series.program_times]
    for name, socs in series.soc_by_class.items():
        axes.plot(times, [100 * v for v in socs], label=name, lw=1.6)
    if times:
        first, last = min(times), max(times)
        shown = [m for m in result.departure_marks if first <= x(m.at) <= last]
        fine = [m for m in shown if not m.short]
        short = [m for m in shown if m.short]
        if fine:
            axes.scatter(
                [x(m.at) for m in fine],
                [100 * m.soc for m in fine],
                marker="|",
                s=80,
                color="dimgray",
                label="an EV left with its departure SOC",
            )
        if short:
            axes.scatter(
                [x(m.at) for m in short],
                [100 * m.soc for m in short],
                marker="x",
                s=60,
                color="red",
                zorder=5,
                label="an EV left below its departure SOC",
            )
    misses = len(result.departures.violations)
    axes.set_title(
        f"departures: {result.departures.departed} EVs left, {misses} below their departure SOC"
        + ("" if not misses else f" ({', '.join(result.departures.violations[:6])})"),
        fontsize=9,
        color="red" if misses else "black",
    )
    axes.set_ylabel("SOC %, by vehicle class")
    axes.legend(**LEGEND)
    axes.grid(alpha=0.3)


def write_plot(result: DemoResult, path: Path) -> Path:
    """Draw and save; returns the path written."""
    draw(result).savefig(path)
    return path


def draw(result: DemoResult) -> Figure:
    """The figure: kW per interval above, SOC by vehicle class below, sharing the time axis."""
    figure = Figure(figsize=(12.5, 7.5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    power, soc = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    x, label = _axis(result)
    _power(power, result, x)
    _soc(soc, result, x)
    rows = result.intervals
    if rows:
        for axes in (power, soc):
            axes.axvspan(x(rows[0].program_start), x(rows[-1].program_end), color="tab:orange", alpha=0.08)
    soc.set_xlabel(label)
    if result.time_compression == 1.0 and rows:
        zone = rows[0].program_start.tzinfo
        soc.xaxis.set_major_formatter(DateFormatter("%H:%M", tz=zone))  # type: ignore[no-untyped-call]
    return figure
