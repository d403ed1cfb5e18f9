"""The demo's parts: the example fleet and program, time shifting, departure checks, table and plot."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.transforms import Bbox

from ven.chargers.simulated import SimulatedFleet
from ven.cli.main import main
from ven.clock import ManualClock
from ven.demo import departures, quality
from ven.demo.departures import DepartureCheck
from ven.demo.kinds import site_type, vehicle_class
from ven.demo.plot import draw, write_plot
from ven.demo.recorder import Frame
from ven.demo.result import DemoResult, DepartureMark, IntervalRow, Series
from ven.demo.showcase import EXAMPLE_DIR, load_showcase
from ven.demo.table import render
from ven.demo.timeshift import shift_fleet_csv
from ven.metrics import DispatchMetrics
from ven.model.enrollment import load_fleet, parse_fleet
from vtn_mock.scenario import load_scenario

NOW = datetime(2026, 7, 14, 19, 0, tzinfo=UTC)


def test_example_fleet_has_the_program_shape():
    """5 school districts, 4 municipal sites, 30 residences; buses 155–226 kWh on 60 kW bidirectional DC."""
    fleet = load_fleet(EXAMPLE_DIR / "fleet.csv")
    sites = {ev.site for ev in fleet.evs}
    assert sum(site_type(s) == "school districts" for s in sites) == 5
    assert sum(site_type(s) == "municipal" for s in sites) == 4
    assert sum(site_type(s) == "residences" for s in sites) == 30
    buses = [ev for ev in fleet.evs if vehicle_class(ev.ev_id) == "school buses"]
    assert {ev.capacity_kwh for ev in buses} == {155.0, 226.0}
    assert all(ev.max_charge_kw == ev.max_discharge_kw == 60.0 for ev in buses)
    assert all(vehicle_class(ev.ev_id) != "other" for ev in fleet.evs)


@pytest.mark.parametrize(
    "now",
    [NOW, datetime(2031, 2, 17, 3, 0, tzinfo=UTC), datetime(2028, 12, 29, 23, 30, tzinfo=UTC)],
    ids=["summer-2026", "february-2031", "new-year-2028"],
)
def test_scenario_is_connectedsolutions_style_and_showcase_asks_a_megawatt(now: datetime):
    """On any date: 8 weekday events of 3 h between 2 and 7 pm, all ahead, called a day ahead, never two on
    one day; the showcase asks ≥ 1 MW throughout."""
    planned = load_scenario(EXAMPLE_DIR / "scenario.toml", now)
    showcase = load_showcase(EXAMPLE_DIR, now)
    days = set()
    for item in planned:
        start = item.body.start.astimezone(showcase.timezone)
        end = start + sum((i.duration for i in item.body.intervals), timedelta())
        assert item.body.start > now
        assert start.weekday() < 5
        assert end - start == timedelta(hours=3)
        assert start.hour >= 14
        assert (end.hour, end.minute) <= (19, 0)
        assert item.body.start - item.notify_at == timedelta(hours=24)
        days.add(start.date())
    assert len(planned) == len(days) == 8
    assert timedelta(0) < showcase.start - now <= timedelta(days=7)
    assert min(showcase.requested_kw) >= 1000
    assert showcase.event.startafter is None  # no randomisation: intervals line up with the VTN's


def test_timeshift_moves_departures_and_nothing_else():
    """Departures move by the shift; an empty departure and every other column stay as written."""
    text = (
        "ev_id,site,capacity_kwh,soc,max_charge_kw,departure\n"
        "a,s,60,0.5,11,2026-07-14T18:00:00-04:00\n"
        "b,s,60,0.5,11,\n"
    )
    shifted = parse_fleet(shift_fleet_csv(text, timedelta(days=2, minutes=5), reference=NOW))
    original = parse_fleet(text)
    assert shifted.evs[0].departure == datetime(2026, 7, 16, 22, 5, tzinfo=UTC)
    assert shifted.evs[1].departure is None
    assert shifted.evs[0].soc == original.evs[0].soc


def test_timeshift_pins_routines_at_the_reference_time():
    """A routine departure (a local time of day) becomes the next one after the reference, then moves; the
    routine columns go (the demo watches one afternoon), the rest stays."""
    text = (
        "ev_id,site,capacity_kwh,soc,max_charge_kw,departure,timezone,days,plug_in,plug_in_soc\n"
        "bus,depot,226,0.9,60,06:15,America/New_York,mon-fri,16:00,0.55\n"
        "van,depot,68,0.6,11,+2h,,,,\n"
    )
    friday_afternoon = datetime(2031, 2, 21, 20, 40, tzinfo=UTC)  # 15:40 EST
    shifted = shift_fleet_csv(text, timedelta(hours=1), reference=friday_afternoon)
    assert shifted.splitlines()[0] == "ev_id,site,capacity_kwh,soc,max_charge_kw,departure"
    fleet = parse_fleet(shifted)
    monday_0615 = datetime(2031, 2, 24, 11, 15, tzinfo=UTC)
    assert [ev.departure for ev in fleet.evs] == [
        monday_0615 + timedelta(hours=1),
        friday_afternoon + timedelta(hours=3),
    ]
    assert fleet.evs[0].routine is None


def test_departure_check_counts_evs_that_left_short():
    """An EV that cannot charge enough before it leaves is counted, one that can is not."""
    start = datetime(2026, 7, 14, 20, 0, tzinfo=UTC)
    leave = (start + timedelta(hours=1)).isoformat()
    fleet = parse_fleet(
        "ev_id,site,capacity_kwh,soc,max_charge_kw,departure,departure_soc,plugged_in\n"
        f"short,home-1,60,0.5,1,{leave},0.9,true\n"
        f"fine,home-2,60,0.85,11,{leave},0.9,true\n"
        f"away,home-3,60,0.1,11,{leave},0.9,false\n"
        "stays,home-4,60,0.1,11,,0.9,true\n"
    )
    gateway = SimulatedFleet(fleet, ManualClock(start), step_s=60.0)
    mask = departures.watched(fleet)
    assert mask.tolist() == [True, True, False, False]
    seconds = departures.run_past_departures(gateway, fleet, mask)
    assert 3600 <= seconds <= 3602
    check = departures.check(gateway, fleet, mask)
    assert (check.watched, check.departed, check.violations) == (2, 2, ("short",))
    # The short one left with about 0.5 + 0.92 · 1 kWh / 60 kWh of the 0.9 it needed; the other had it all.
    assert check.satisfaction == pytest.approx((float(gateway.soc[0]) / 0.9, 1.0))
    assert check.satisfaction[0] == pytest.approx((0.5 + 0.92 / 60) / 0.9, abs=1e-3)


def test_quality_measures_tracking_discharge_and_satisfaction(tmp_path: Path):
    """VTN intervals 1,100 asked, 1,100 and 1,099 delivered (15 min each): 0.25 kWh tracking error; a 60
    kWh V2G car falling 10 % in the event drew 6 kWh; satisfaction from the departure check."""
    result = _result(tmp_path)
    fleet = parse_fleet("ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw\nv2g,s,60,0.5,11,11\n")
    start = result.intervals[0].start
    frames = [
        Frame(start + timedelta(minutes=m), np.array([soc]), 0.0, None)
        for m, soc in ((-5, 0.9), (0, 0.8), (15, 0.75), (30, 0.7), (35, 0.2))
    ]
    check = DepartureCheck(2, 2, ("a",), None, (0.5, 1.0))
    metrics = quality.measure(result.intervals, frames, fleet, check)
    assert metrics is not None
    assert metrics.energy_tracking_error_kwh == pytest.approx(0.25)
    assert metrics.delivered_energy_ratio == pytest.approx((1100.0 + 1099.0) / 2200.0)
    assert metrics.discharged_kwh == pytest.approx(6.0 * 0.92)
    assert metrics.equivalent_full_cycles == pytest.approx(0.1)
    assert (metrics.user_satisfaction_min, metrics.user_satisfaction_mean) == (0.5, 0.75)


def _result(tmp_path: Path) -> DemoResult:
    start = datetime(2026, 7, 14, 20, 0, tzinfo=UTC)
    local = start.astimezone(ZoneInfo("America/New_York"))
    rows = [
        IntervalRow(
            start + timedelta(minutes=15 * k),
            start + timedelta(minutes=15 * (k + 1)),
            local + timedelta(minutes=15 * k),
            local + timedelta(minutes=15 * (k + 1)),
            1100.0,
            1200.0,
            100.0 + k,
            1100.0 - k,
            {"school districts": 0.8, "residences": 0.7},
        )
        for k in range(2)
    ]
    times = [start + timedelta(minutes=m) for m in range(0, 31, 5)]
    series = Series(times, [None, *([1100.0] * 5), None], {"school buses": list(np.linspace(0.9, 0.8, 7))})
    return DemoResult(
        "evt-1", "ma-v2x-fleet", "ven-1", "optIn", "optimal", 200.0, 90, "2026-07-14", 1100.0, 1099.5, 0.9995,
        100.5, DepartureCheck(3, 3, (), None), rows, 61.0, series, str(tmp_path / "p.png"),
    )  # fmt: skip


def test_table_shows_each_interval_and_the_totals(tmp_path: Path):
    """The table has one row per interval, SOC by site type, the totals and the departure count."""
    text = render(_result(tmp_path))
    assert "16:00" in text
    assert "16:15" in text
    assert "SOC school districts" in text
    assert "requested 1,100 kW, delivered 1,100 kW" in text
    assert "0 below it" in text
    assert "energy tracking error" not in text  # no metrics measured: no dispatch-quality lines


def test_table_ends_with_the_dispatch_quality(tmp_path: Path):
    """With metrics measured, the table lists them (ven.metrics' wording, as `ven plan` does)."""
    metrics = DispatchMetrics(0.25, 0.9995, 0.5, 0.75, 5.52, 0.1)
    text = render(replace(_result(tmp_path), metrics=metrics))
    assert "energy tracking error    0.2 kWh" in text
    assert "user satisfaction        min 0.500, mean 0.750" in text
    assert "equivalent full cycles   0.1000" in text


def test_plot_is_a_png(tmp_path: Path):
    """write_plot saves a PNG with the Agg canvas (no display)."""
    path = write_plot(_result(tmp_path), tmp_path / "p.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _marked(tmp_path: Path, **changes: object) -> DemoResult:
    """The sample result with two departures in view, one of them below its departure SOC."""
    result = _result(tmp_path)
    at = result.intervals[0].program_start
    marks = (
        DepartureMark(at + timedelta(minutes=10), "car-home-04", 0.55, 0.8),
        DepartureMark(at + timedelta(minutes=20), "bus-cape-04", 0.85, 0.8),
    )
    return replace(
        result, departure_marks=marks, departures=DepartureCheck(2, 2, ("car-home-04",), None), **changes
    )


def _outside(legend_box: Bbox, axes_box: Bbox) -> bool:
    return legend_box.x0 >= axes_box.x1 or legend_box.y1 <= axes_box.y0 or legend_box.y0 >= axes_box.y1


def test_plot_shows_every_series_with_legends_off_the_data(tmp_path: Path):
    """Requested is a line and delivered bars (never one hiding the other), every legend entry has a visible
    artist, and both legends sit outside their axes."""
    figure = draw(_marked(tmp_path))
    figure.canvas.draw()
    power, soc = figure.axes
    requested = next(line for line in power.get_lines() if line.get_label() == "requested reduction (VTN)")
    bars = power.containers[0]
    assert len(bars) == 2
    assert {round(bar.get_height()) for bar in bars} == {1100, 1099}
    assert to_hex(bars[0].get_facecolor(), keep_alpha=False) != to_hex(requested.get_color())
    for axes in (power, soc):
        legend = axes.get_legend()
        assert legend is not None
        renderer = figure.canvas.get_renderer()
        assert _outside(legend.get_window_extent(renderer), axes.get_window_extent(renderer))
        for handle in legend.legend_handles:
            assert handle is not None
            alpha = handle.get_alpha()
            assert alpha is None or alpha >= 0.3


def test_plot_marks_departures_and_the_misses(tmp_path: Path):
    """Departures in view are marked on the SOC panel at their SOC; a miss is a red cross and is named."""
    figure = draw(_marked(tmp_path))
    soc = figure.axes[1]
    marks = {collection.get_label(): collection for collection in soc.collections}
    short = marks["an EV left below its departure SOC"]
    fine = marks["an EV left with its departure SOC"]
    assert [y for _, y in short.get_offsets()] == [pytest.approx(55.0)]
    assert [y for _, y in fine.get_offsets()] == [pytest.approx(85.0)]
    assert to_hex(short.get_facecolor()[0], keep_alpha=False) == "#ff0000"
    assert "1 below their departure SOC (car-home-04)" in soc.get_title()


def test_a_compressed_real_time_run_is_plotted_in_seconds(tmp_path: Path):
    """The OCPP demo (intervals shortened 90x, in real time): the time axis is seconds since the event
    started, spanning the 20 s it really took, not the half hour of program time it stands for."""
    figure = draw(_marked(tmp_path, time_compression=90.0))
    soc = figure.axes[1]
    assert soc.get_xlabel().startswith("seconds since the event started (real time")
    low, high = soc.get_xlim()
    assert -2 < low <= 0
    assert 20 <= high < 22


def test_bad_arguments_exit_2(tmp_path: Path, capsys):
    """A time scale out of range or an example folder without its files is refused with exit code 2."""
    assert main(["demo", "--time-scale", "0"]) == 2
    assert main(["demo", "--example", str(tmp_path)]) == 2
    assert "--example" in capsys.readouterr().err
