"""The season's report folder: summary.html (opens in a browser) and summary.md, the plots, CSV and JSON.

One folder per policy; with several policies, an index.html / index.md beside them compares them side
by side and links each policy's folder.
"""

from __future__ import annotations

import csv
import html
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ven.season.plots import delivered_plot, departure_plot, sites_plot
from ven.season.summary import check_rows, comparison, headline

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from ven.season.results import SeasonResult

PLOTS = ("delivered.png", "sites.png", "departure_soc.png")
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:72em}"
    "table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
    "th:first-child,td:first-child{text-align:left}img{max-width:100%}.bad{color:#b00}"
)


def write_report(result: SeasonResult, folder: Path) -> Path:
    """Write one policy's report into `folder` (created); returns summary.html."""
    folder.mkdir(parents=True, exist_ok=True)
    delivered_plot(result, folder / PLOTS[0])
    sites_plot(result, folder / PLOTS[1])
    departure_plot(result, folder / PLOTS[2])
    (folder / "season.json").write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    _csv(folder / "events.csv", [e.to_json() for e in result.events])
    _csv(folder / "sites.csv", [s.to_json() for s in result.sites])
    _csv(folder / "departures.csv", _departure_rows(result))
    (folder / "summary.md").write_text(_markdown(result), encoding="utf-8")
    page = folder / "summary.html"
    page.write_text(_html(result), encoding="utf-8")
    return page


def write_index(results: Sequence[SeasonResult], folder: Path) -> Path:
    """index.html / index.md comparing policies, each linking its own folder; returns index.html."""
    folder.mkdir(parents=True, exist_ok=True)
    header, rows = comparison(results)
    links = [f"[{r.policy}]({r.policy}/summary.md)" for r in results]
    markdown = (
        "# Season: policies side by side\n\n" + _md_table(header, rows) + "\n" + " · ".join(links) + "\n"
    )
    (folder / "index.md").write_text(markdown, encoding="utf-8")
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_link(c, i == 0)}</td>" for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    page = folder / "index.html"
    page.write_text(
        _page("Season: policies side by side", f"<table><tr>{cells}</tr>{body}</table>"), encoding="utf-8"
    )
    return page


def _departure_rows(result: SeasonResult) -> list[dict[str, object]]:
    evs = result.fleet.evs
    return [
        {
            "ev_id": evs[d.ev_index].ev_id,
            "site": evs[d.ev_index].site,
            "left_at": datetime.fromtimestamp(d.at_ts, UTC).isoformat(),
            "announced": None
            if d.announced_ts is None
            else datetime.fromtimestamp(d.announced_ts, UTC).isoformat(),
            "soc": round(d.soc, 4),
            "departure_soc": d.departure_soc,
            "expected_soc": round(d.expected_soc, 4),
            "met": d.met,
            "early": d.early,
            "ven_violation": d.ven_violation,
        }
        for d in result.departures
    ]


def _csv(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        if not rows:
            return
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _event_table(result: SeasonResult) -> tuple[list[str], list[list[str]]]:
    header = ["event", "start", "requested kW", "delivered kW (VTN)", "ratio", "VEN's own figure kW", "opt"]
    rows = []
    for e in result.events:
        ratio = e.ratio
        rows.append(
            [
                e.event_id,
                f"{e.start:%a %d %b %H:%M}–{e.end:%H:%M}",
                f"{e.requested_kw:,.0f}",
                "—" if e.delivered_kw is None else f"{e.delivered_kw:,.1f}",
                "—" if ratio is None else f"{ratio:.1%}",
                "—" if e.ven_delivered_kw is None else f"{e.ven_delivered_kw:,.1f}",
                e.opt or "—",
            ]
        )
    return header, rows


def _site_table(result: SeasonResult) -> tuple[list[str], list[list[str]]]:
    header = [
        "site (owner)",
        "EVs",
        "departures met",
        "lowest departure SOC",
        "VEN violations",
        "left early",
        "exported kWh",
        "cycles (EFC)",
        "degradation $",
        "contribution kW",
    ]
    rows = [
        [
            s.site,
            str(s.evs),
            f"{s.departures_met} / {s.departures}",
            "—" if s.departure_soc_min is None else f"{s.departure_soc_min:.1%}",
            str(s.departure_soc_violations),
            str(s.early_departures),
            f"{s.exported_kwh:,.0f}",
            f"{s.equivalent_full_cycles:.2f}",
            f"{s.degradation_usd:,.2f}",
            f"{s.delivered_kw_avg:,.1f}",
        ]
        for s in result.sites
    ]
    return header, rows


def _markdown(result: SeasonResult) -> str:
    parts = [f"# Season report: {result.policy}\n"]
    parts.append(_md_table(["", ""], [list(row) for row in headline(result)]))
    parts.append(
        "\n## Checks\n\n" + _md_table(["check", "result"], [list(row) for row in check_rows(result)])
    )
    parts.append("\n## Plots\n\n" + "\n".join(f"![{name}]({name})" for name in PLOTS) + "\n")
    parts.append("\n## Events\n\n" + _md_table(*_event_table(result)))
    parts.append("\n## Sites (owners)\n\n" + _md_table(*_site_table(result)))
    parts.append("\nData: season.json, events.csv, sites.csv, departures.csv.\n")
    return "".join(parts)


def _html(result: SeasonResult) -> str:
    body = [_html_table(None, [list(r) for r in headline(result)])]
    body.append("<h2>Checks</h2>" + _html_table(["check", "result"], [list(r) for r in check_rows(result)]))
    body.append("<h2>Plots</h2>" + "".join(f'<p><img src="{name}" alt="{name}"></p>' for name in PLOTS))
    body.append("<h2>Events</h2>" + _html_table(*_event_table(result)))
    body.append("<h2>Sites (owners)</h2>" + _html_table(*_site_table(result)))
    files = ", ".join(
        f'<a href="{n}">{n}</a>' for n in ("season.json", "events.csv", "sites.csv", "departures.csv")
    )
    body.append(f"<p>Data: {files}.</p>")
    return _page(f"Season report: {result.policy}", "".join(body))


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def _html_table(header: list[str] | None, rows: list[list[str]]) -> str:
    head = "" if header is None else "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n"

    return line(header) + line(["---"] * len(header)) + "".join(line(row) for row in rows)


def _link(cell: str, first: bool) -> str:
    text = html.escape(cell)
    return f'<a href="{text}/summary.html">{text}</a>' if first else text
