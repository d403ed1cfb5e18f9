"""`ven season` with no --config: the example season shipped in the package, from any folder, any day."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

from ven.clock import NOW_ENV
from ven.season.config import load_season
from vtn_mock.calendar import draw


def test_the_bundled_season_runs_from_any_folder_on_any_date(tmp_path: Path):
    """From an empty folder, with "today" years after the example's summer, `ven season --days 1 --json`
    runs ven.examples' Massachusetts season: its first day's events, every site, 0 violations."""
    bundled = Path(str(files("ven.examples") / "massachusetts" / "season.toml"))
    season, _ = load_season(bundled)
    first = season.programme.first_day
    due = [e for e in draw(season.programme) if e.start.date() == first]
    env = {**os.environ, NOW_ENV: "2031-02-17T09:30:00-05:00"}
    done = subprocess.run(
        [sys.executable, "-m", "ven.cli.main", "season", "--days", "1", "--json", "--quiet"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    figures = json.loads(done.stdout)
    assert figures["days"] == 1
    assert figures["events"] == len(due) >= 1
    assert [e["event_id"] for e in figures["per_event"]] == [e.event_id for e in due]
    assert all(e["delivered_kw"] is not None for e in figures["per_event"])  # the VTN measured each one
    assert figures["constraint_violations"] == 0
    assert figures["departure_soc_violations"] == 0
    with (bundled.parent / "fleet.csv").open(encoding="utf-8") as rows:
        sites = {row["site"] for row in csv.DictReader(rows)}
    assert len(figures["per_site"]) == len(sites) > 0
    assert list(tmp_path.iterdir()) == []  # nothing left behind in the working folder
