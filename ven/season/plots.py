"""The season report's plots (PNG): delivered vs requested per event, each site's contribution, and the SOC
the EVs left at. Drawn on bare `Figure`s with the Agg canvas: no pyplot, no global state, no display.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.patches import Patch

if TYPE_CHECKING:
    from pathlib import Path

    from ven.season.results import SeasonResult

_EARLY = "left earlier than announced"
_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive")


def site_group(site: str) -> str:
    """A site's group for colours and legends: its name up to the first '-' (`school-cape` → `school`)."""
    return site.split("-", 1)[0]


def group_colours(result: SeasonResult) -> dict[str, str]:
    """One colour per site group, the same in every plot of a report."""
    groups = sorted({site_group(ev.site) for ev in result.fleet.evs})
    return {group: _COLORS[i % len(_COLORS)] for i, group in enumerate(groups)}


def delivered_plot(result: SeasonResult, path: Path) -> Path:
    """Requested and delivered reduction per event (the VTN's measurement), with the season averages."""
    figure = Figure(figsize=(12, 5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    events = result.events
    zone = events[0].start.tzinfo if events else None
    days = [e.start.timestamp() / 86400.0 for e in events]  # matplotlib dates: days since 1970
    axes.bar(
        days, [e.requested_kw for e in events], width=0.8, color="none", edgecolor="black", label="requested"
    )
    axes.bar(
        days,
        [e.delivered_kw or 0.0 for e in events],
        width=0.5,
        color="tab:green",
        label="delivered (VTN: baseline − measured)",
    )
    axes.axhline(result.requested_kw_avg, color="black", lw=1, ls=":", label="season average requested")
    axes.axhline(
        result.delivered_kw_avg, color="tab:green", lw=1.5, ls="--", label="season average delivered"
    )
    axes.set_ylabel("kW (event average)")
    axes.set_title(
        f"{result.policy}: {len(events)} events, delivered {result.delivered_kw_avg:,.0f} of "
        f"{result.requested_kw_avg:,.0f} kW on average, payment ${result.payment_usd:,.0f}"
    )
    axes.xaxis.set_major_formatter(DateFormatter("%d %b", tz=zone))  # type: ignore[no-untyped-call]
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=4, fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    figure.savefig(path)
    return path


def sites_plot(result: SeasonResult, path: Path) -> Path:
    """Each site's average contribution over every event hour, coloured by site group."""
    sites = sorted(result.sites, key=lambda s: s.delivered_kw_avg)
    colour = group_colours(result)
    groups = sorted({site_group(s.site) for s in sites})
    figure = Figure(figsize=(9, max(3.0, 0.18 * len(sites) + 1.2)), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.barh(
        [s.site for s in sites],
        [s.delivered_kw_avg for s in sites],
        color=[colour[site_group(s.site)] for s in sites],
    )
    axes.legend(handles=[Patch(color=colour[g], label=g) for g in groups], loc="lower right", fontsize=8)
    axes.set_xlabel("average contribution over all event hours, kW (the VEN's baseline − metered)")
    axes.tick_params(axis="y", labelsize=7)
    axes.grid(axis="x", alpha=0.3)
    figure.savefig(path)
    return path


def departure_plot(result: SeasonResult, path: Path) -> Path:
    """SOC at every departure of the season, stacked by site group; the owners' early departures apart."""
    by_group: dict[str, list[float]] = defaultdict(list)
    for departure in result.departures:
        site = result.fleet.evs[departure.ev_index].site
        by_group[_EARLY if departure.early else site_group(site)].append(departure.soc)
    figure = Figure(figsize=(9, 4.5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    bins = [i / 40 for i in range(41)]
    colour = {**group_colours(result), _EARLY: "tab:red"}
    labels = sorted(by_group, key=lambda g: (g == _EARLY, g))  # the owners' early departures last
    if labels:
        stacks = [by_group[g] for g in labels]
        axes.hist(stacks, bins=bins, stacked=True, label=labels, color=[colour[g] for g in labels])
    needed = sorted({float(result.fleet.departure_soc[d.ev_index]) for d in result.departures})
    for soc in needed:
        axes.axvline(soc, color="black", lw=0.8, ls=":")
    axes.set_xlabel("SOC at departure (dotted: the departure SOCs the owners asked for)")
    axes.set_ylabel("departures")
    count, short = len(result.departures), result.departure_soc_violations
    axes.set_title(f"{count} departures, {short} below need by the VEN's doing")
    axes.legend(fontsize=8, loc="upper left")
    figure.savefig(path)
    return path
