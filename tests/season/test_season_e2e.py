"""`ven season` end to end: a short season through the real VEN and mock VTN over loopback HTTP."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sqlite3
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from policies import available_policies
from tests.season.conftest import write_season
from ven.cli.main import main
from ven.season.config import load_season
from ven.season.results import SeasonResult, season_result
from ven.season.runner import SeasonRun, run_policy
from vtn_mock.calendar import draw

CONTRACT_KEYS = {
    "policy",
    "days",
    "events",
    "requested_kw_avg",
    "delivered_kw_avg",
    "delivered_ratio",
    "payment_usd",
    "departure_soc_violations",
    "constraint_violations",
    "per_site",
    "per_event",
}


def season_json(*args: str, progress: list[str] | None = None) -> dict[str, object]:
    """`ven season ... --json` in this process: its one line of stdout, parsed. With `progress`, the
    progress lines on stderr go there; without, the command runs --quiet."""
    out, err = io.StringIO(), io.StringIO()
    quiet = [] if progress is not None else ["--quiet"]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["season", *args, "--json", *quiet]) == 0
    assert len(out.getvalue().strip().splitlines()) == 1
    if progress is not None:
        progress.extend(err.getvalue().splitlines())
    parsed: dict[str, object] = json.loads(out.getvalue())
    return parsed


@pytest.fixture(scope="module")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_season(tmp_path_factory.mktemp("season"))


@pytest.fixture(scope="module")
def reported(shared_dir: Path) -> tuple[dict[str, object], Path]:
    """One `ven season --json --report` run of the week, shared by the tests that read its output."""
    report = shared_dir / "report"
    return season_json("--config", str(shared_dir / "season.toml"), "--report", str(report)), report


@pytest.fixture(scope="module")
def direct(shared_dir: Path) -> tuple[SeasonRun, SeasonResult, Path]:
    """The same week run through run_policy, keeping its databases, for the books and the settlement."""
    season, ven = load_season(shared_dir / "season.toml")
    workdir = shared_dir / "work"
    workdir.mkdir()
    run = run_policy(season, ven, "fair", days=None, workdir=workdir, progress=lambda _: None)
    return run, season_result(run, season), workdir


def test_a_short_season_prints_the_contract_object(
    shared_dir: Path, reported: tuple[dict[str, object], Path]
):
    """`ven season --json`: exactly the CONTRACT.md fields, every drawn event measured, 0 violations."""
    figures, _ = reported
    assert set(figures) == CONTRACT_KEYS
    season, _ = load_season(shared_dir / "season.toml")
    drawn = draw(season.programme)
    assert figures["policy"] == "optimal"
    assert figures["days"] == 5
    assert figures["events"] == len(drawn) == 3
    assert figures["constraint_violations"] == 0
    assert figures["departure_soc_violations"] == 0
    events = figures["per_event"]
    assert isinstance(events, list)
    assert [e["event_id"] for e in events] == [e.event_id for e in drawn]
    for event, planned in zip(events, drawn, strict=True):
        assert event["requested_kw"] == planned.requested_kw
        assert event["delivered_kw"] is not None
        assert event["delivered_kw"] > 0
        assert event["opt"] == "optIn"
    requested, delivered = figures["requested_kw_avg"], figures["delivered_kw_avg"]
    assert isinstance(requested, float)
    assert isinstance(delivered, float)
    assert figures["delivered_ratio"] == pytest.approx(delivered / requested, abs=1e-3)
    assert figures["payment_usd"] == pytest.approx(200 * delivered, abs=0.11)  # delivered is rounded to W
    sites = figures["per_site"]
    assert isinstance(sites, list)
    assert [s["site"] for s in sites] == ["school-a", "muni-m", "home-01", "home-02", "home-03"]
    assert sum(s["departures"] for s in sites) > 0
    assert sum(s["exported_kwh"] for s in sites) > 0


def test_the_payment_follows_from_the_vtns_own_readings(
    shared_dir: Path, direct: tuple[SeasonRun, SeasonResult, Path]
):
    """Recomputed here from the mock VTN's stored usage and baseline readings, the season's average kW
    and payment match what the season reports."""
    season, _ = load_season(shared_dir / "season.toml")
    run, result, workdir = direct
    database = sqlite3.connect(workdir / "vtn-fair.sqlite")
    energy_kwh = seconds = 0.0
    for record in run.events:
        for begin, end in record.drawn.intervals(season.programme.interval):
            averages = {}
            for kind in ("usage", "baseline"):
                (average,) = database.execute(
                    "SELECT AVG(power_kw) FROM readings WHERE report_type = ? AND resource_id = 'fleet' "
                    "AND measured_at >= ? AND measured_at < ?",
                    (kind, begin.timestamp(), end.timestamp()),
                ).fetchone()
                averages[kind] = average
            assert averages["usage"] is not None
            length = (end - begin).total_seconds()
            energy_kwh += (averages["baseline"] - averages["usage"]) * length
            seconds += length
    database.close()
    assert seconds == 3 * 3 * 3600
    assert result.delivered_kw_avg == pytest.approx(energy_kwh / seconds, abs=0.01)
    assert result.payment_usd == pytest.approx(200 * energy_kwh / seconds, abs=2.0)
    assert result.checks.payment_recomputed_usd == pytest.approx(result.payment_usd, abs=1.0)


def test_every_evs_books_add_up_over_the_season(direct: tuple[SeasonRun, SeasonResult, Path]):
    """Per EV: no SOC jump, in and out add up, no hard constraint broken, every departure accounted."""
    run, result, _ = direct
    assert result.checks.ok
    assert result.checks.soc_jumps == 0
    assert result.checks.energy_balance_max_kwh < 1e-6
    assert result.checks.limit_violations == 0
    assert result.checks.reserve_violations == 0
    assert result.checks.steps > 100
    trips = sum(len(life.trips) for life in run.life.lives)
    assert trips > 10
    assert run.ledger.trip_kwh.sum() > 0
    assert len(result.departures) > 10
    assert not [d for d in result.departures if d.ven_violation]
    early = [d for d in result.departures if d.early]
    assert all(d.announced_ts is not None and d.at_ts < d.announced_ts for d in early)


def test_the_vtns_readings_agree_with_the_chargers_meters(direct: tuple[SeasonRun, SeasonResult, Path]):
    """Per event interval, the usage the VTN settled on is within a tenth of the smallest request of what
    the simulated chargers metered: the VEN's samples see what really flowed."""
    _, result, _ = direct
    assert result.checks.metered_intervals == 9  # 3 events of 3 hours, each measured
    smallest = min(e.requested_kw for e in result.events)
    assert result.checks.metering_gap_kw < 0.1 * smallest


def test_setpoints_lapsing_between_commands_show_in_the_metering_check(shared_dir: Path, tmp_path: Path):
    """A setpoint_ttl shorter than the control period (refused in configuration files; forced here) lets
    the chargers charge at full rate between two commands: the VTN's samples and the meters part, and the
    check says so."""
    season, ven = load_season(shared_dir / "season.toml")
    assert ven.dispatch.control_period == timedelta(minutes=15)
    lapsing = ven.model_copy(
        update={"chargers": ven.chargers.model_copy(update={"setpoint_ttl": timedelta(minutes=5)})}
    )
    run = run_policy(season, lapsing, "fair", days=None, workdir=tmp_path, progress=lambda _: None)
    result = season_result(run, season)
    assert result.checks.metered_intervals == 9
    assert result.checks.metering_gap_kw > max(e.requested_kw for e in result.events)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []
        self.tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img" and values.get("src"):
            self.images.append(str(values["src"]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        self.tables += tag == "table"


def test_the_report_folder_holds_a_page_its_plots_and_data(reported: tuple[dict[str, object], Path]):
    """--report writes summary.html whose images and links all exist, summary.md, CSV and JSON."""
    figures, report = reported
    page = _Page()
    page.feed((report / "summary.html").read_text(encoding="utf-8"))
    assert page.images == ["delivered.png", "sites.png", "departure_soc.png"]
    assert page.tables == 4  # headline, checks, events, sites
    for target in [*page.images, *page.links]:
        assert (report / target).is_file(), target
    for image in page.images:
        assert (report / image).read_bytes().startswith(b"\x89PNG")
    assert json.loads((report / "season.json").read_text(encoding="utf-8")) == figures
    events = (report / "events.csv").read_text(encoding="utf-8").splitlines()
    assert len(events) == 1 + 3
    assert "![delivered.png](delivered.png)" in (report / "summary.md").read_text(encoding="utf-8")


def test_all_policies_side_by_side(season_dir: Path, tmp_path: Path):
    """--policy all runs every installed policy on the same season: one contract object per policy."""
    report = tmp_path / "all"
    figures = season_json(
        "--config", str(season_dir / "season.toml"), "--policy", "all", "--days", "2", "--jobs", "2",
        "--report", str(report),
    )  # fmt: skip
    installed = {info.name for info in available_policies()}
    assert set(figures) == {"policies"}
    policies = figures["policies"]
    assert isinstance(policies, dict)
    assert set(policies) == installed
    for name, one in policies.items():
        assert set(one) == CONTRACT_KEYS
        assert one["policy"] == name
        assert one["events"] == 1
        assert one["constraint_violations"] == 0
    assert len({one["requested_kw_avg"] for one in policies.values()}) == 1  # the same season for all
    index = _Page()
    index.feed((report / "index.html").read_text(encoding="utf-8"))
    assert sorted(index.links) == sorted(f"{name}/summary.html" for name in installed)
    for link in index.links:
        assert (report / link).is_file()


def test_the_same_season_twice_gives_the_same_figures(season_dir: Path):
    """Simulated time, seeded life and calendar: a season is reproducible to the last digit (and says how
    far it got on stderr, a line per simulated day, unless --quiet; the logs' levels are left as found)."""
    args = ("--config", str(season_dir / "season.toml"), "--days", "2", "--policy", "proportional")
    progress: list[str] = []
    levels = {name: logging.getLogger(name).level for name in ("ven", "openleadr", "vtn_mock")}
    assert season_json(*args, progress=progress) == season_json(*args)
    assert {name: logging.getLogger(name).level for name in levels} == levels  # quiet only while it ran
    assert [line.split(" (")[0] for line in progress] == [
        "[season] proportional: day 1/2",
        "[season] proportional: day 2/2",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--config", "missing.toml"], "cannot read the season"),
        (["--config", "{dir}/season.toml", "--days", "0"], "--days: at least 1"),
        (["--config", "{dir}/season.toml", "--policy", "nope"], "--policy 'nope': not installed"),
        (["--config", "{dir}/season.toml", "--report", "{dir}/fleet.csv"], "is not a folder"),
        (["--config", "{dir}/bad.toml"], "programme.max_events"),
        (["--config", "{dir}/bad-ven.toml"], "dispatch.margin"),
        (
            ["--config", "{dir}/lapsing.toml"],
            "chargers.setpoint_ttl: must be at least dispatch.control_period",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    season_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
):
    """Every bad input: exit 2 and exactly one line on stderr naming what is wrong."""
    text = (season_dir / "season.toml").read_text(encoding="utf-8")
    (season_dir / "bad.toml").write_text(text.replace("max_events = 3", "max_events = -1"), encoding="utf-8")
    (season_dir / "bad-ven.toml").write_text(
        text + '\n[ven_settings]\ndispatch = { margin = "lots" }\n', encoding="utf-8"
    )
    (season_dir / "lapsing.toml").write_text(
        text + '\n[ven_settings]\nchargers = { setpoint_ttl = "10m" }\n', encoding="utf-8"
    )
    code = main(["season", *(a.format(dir=season_dir) for a in args)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("ven: error: ")
    assert message in err


def test_the_report_opens_in_a_browser(reported: tuple[dict[str, object], Path]):
    """summary.html in headless Chromium (file://): its three plots decode, its tables render, no errors."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only this test drives a browser

    from tests.dashboard.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: PLC0415

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    _, report = reported
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((report / "summary.html").resolve().as_uri(), wait_until="load", timeout=30_000)
            widths = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)"
            )
            rows = page.eval_on_selector_all("table tr", "rows => rows.length")
        finally:
            browser.close()
    assert len(widths) == 3
    assert all(width > 100 for width in widths)
    assert rows > 3 + 3  # the events' rows and more
    assert errors == []
