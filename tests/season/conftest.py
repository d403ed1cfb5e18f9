"""A small fleet with routines and a short season around it, written into tmp_path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ven.model.enrollment import parse_fleet
from ven.model.fleet import Fleet

ZONE = "America/New_York"
HEADER = (
    "ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,min_soc,target_soc,departure,departure_soc,"
    "efficiency,timezone,days,plug_in,plug_in_soc"
)
ROWS = (
    "bus-a-01,school-a,155,0.9,60,60,0.25,0.9,06:15,0.9,0.92,{z},mon-fri,16:00,0.55",
    "bus-a-02,school-a,226,0.9,60,60,0.25,0.9,06:15,0.9,0.92,{z},mon-fri,16:00,0.5",
    "pickup-m-01,muni-m,98,0.9,19.2,9.6,0.3,0.9,07:00,0.8,0.9,{z},mon-fri,17:00,0.55",
    "car-m-02,muni-m,62,0.9,6.6,6,0.3,0.9,07:00,0.8,0.9,{z},mon-fri,17:00,0.6",
    "suv-h-01,home-01,99.8,0.9,11.5,11.5,0.3,0.9,07:30,0.8,0.9,{z},mon-fri,18:00,0.6",
    "car-h-02,home-02,40,0.9,6.6,6,0.3,1.0,08:00,0.8,0.9,{z},mon-fri,18:00,0.6",
    "pickup-h-03,home-03,131,0.9,19.2,9.6,0.3,0.9,18:00,0.6,0.9,{z},daily,22:00,0.7",
)
FLEET_CSV = "\n".join([HEADER, *(row.format(z=ZONE) for row in ROWS)]) + "\n"

VEN_TOML = """
[ven]
name = "season-test"
vtn_url = "http://127.0.0.1:1/OpenADR2/Simple/2.0b"
timezone = "America/New_York"
[fleet]
file = "fleet.csv"
[dispatch]
policy = "optimal"
control_period = "15m"
quick_budget = "2s"
[reports]
sampling = "15m"
[storage]
url = "sqlite:///unused.db"
"""

SEASON_TOML = """
[season]
ven = "ven.toml"
seed = 11
lead = "1d"
step = "1h"
tick = "15m"

[vtn]
poll_interval = "1h"
report_sampling = "15m"
report_back = "6h"
status_sampling = "24h"

[programme]
name = "test-summer"
first_day = 2026-07-06
last_day = 2026-07-10
timezone = "America/New_York"
holidays = [2026-07-08]
max_events = 3
window_start = "14:00"
window_end = "19:00"
durations = { "3h" = 1.0 }
interval = "1h"
requested_kw = [60, 90]
notice = "24h"
seed = 5

[payment]
rate_usd_per_kw = 200

[school]
sessions = [[2026-06-01, 2026-06-17]]
summer_program = { first = 2026-07-06, last = 2026-07-30, days = "mon-thu", share = 0.0 }

[[life]]
sites = ["school-*"]
calendar = "school"

[[life]]
sites = ["muni-*"]
calendar = "workweek"
early_share = 0.2

[[life]]
sites = ["home-*"]
calendar = "commute"
skip_share = 0.3
early_share = 0.2
"""


@pytest.fixture
def fleet() -> Fleet:
    return parse_fleet(FLEET_CSV, "fleet.csv", now=datetime(2026, 7, 5, 4, tzinfo=UTC))


def write_season(folder: Path) -> Path:
    """season.toml, ven.toml and fleet.csv in `folder`: a week of July with three events."""
    (folder / "fleet.csv").write_text(FLEET_CSV, encoding="utf-8")
    (folder / "ven.toml").write_text(VEN_TOML, encoding="utf-8")
    (folder / "season.toml").write_text(SEASON_TOML, encoding="utf-8")
    return folder


@pytest.fixture
def season_dir(tmp_path: Path) -> Path:
    return write_season(tmp_path)
