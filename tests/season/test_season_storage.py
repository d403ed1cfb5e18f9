"""A season on the storage backend `[season] storage` names (PostgreSQL here), and the retention floors
that keep what the season settles on (the VEN's baselines, the VTN's readings) the season long."""

from __future__ import annotations

from datetime import timedelta
from importlib.resources import files
from pathlib import Path

import pytest

from ven.cli.main import main
from ven.season.config import load_season
from ven.season.runner import run_policy, season_vtn_config
from ven.storage import Store
from vtn_mock.config import RetentionSection as VtnRetention

# Baselines kept one hour and pruned every hour: without the season's floor on retention, every event's
# frozen baseline would be gone by the time the season reads it.
SETTINGS = """
[ven_settings]
storage = { retention = { baselines = "1h", performance = "1h", events = "1h" }, prune_every = "1h" }
"""


def _with_storage(season_dir: Path, url: str) -> Path:
    path = season_dir / "season.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[season]\n", f'[season]\nstorage = "{url}"\n', 1) + SETTINGS, "utf-8")
    return path


def test_a_season_on_postgresql_keeps_what_it_settles_on(
    season_dir: Path, postgres_schema_url: str, capsys: pytest.CaptureFixture[str]
):
    """The VEN stores on PostgreSQL as `<name>-<policy>`; the baselines of every event it answered survive
    a one-hour retention; a second season into the same database is refused in one line (exit 2)."""
    path = _with_storage(season_dir, postgres_schema_url)
    season, ven = load_season(path)
    workdir = season_dir / "work"
    workdir.mkdir()
    run = run_policy(season, ven, "fair", days=None, workdir=workdir, progress=lambda _: None)
    answered = [r for r in run.events if r.opt == "optIn"]
    assert len(answered) == len(run.events) == 3
    assert all(r.baseline is not None and r.ven_rows for r in answered)
    assert not list(workdir.glob("ven-*.sqlite"))  # nothing went to a temporary SQLite file
    store = Store.open(postgres_schema_url, ven_name="", migrate=False)
    try:
        assert store.fleet.names() == ["season-test-fair"]
    finally:
        store.close()
    code = main(["season", "--config", str(path), "--policy", "fair", "--json", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    expected = (
        f"ven: error: season.storage: {postgres_schema_url} already holds VEN season-test-fair "
        "from an earlier season: give a fresh database"
    )
    assert err.strip().splitlines() == [expected]


def test_a_relative_sqlite_storage_is_found_beside_season_toml(season_dir: Path):
    """`storage = "sqlite:///season.db"` is a file in season.toml's folder, named per policy inside."""
    path = _with_storage(season_dir, "sqlite:///season.db")
    season, ven = load_season(path)
    run = run_policy(season, ven, "proportional", days=1, workdir=season_dir, progress=lambda _: None)
    assert run.days == 1
    store = Store.open(f"sqlite:///{season_dir / 'season.db'}", ven_name="", migrate=False)
    try:
        assert store.fleet.names() == ["season-test-proportional"]
    finally:
        store.close()


def test_the_seasons_vtn_keeps_every_reading_of_a_long_season(tmp_path: Path):
    """The mock VTN keeps readings 30 days by default; a season's VTN keeps them (and its registrations)
    the season long, and prunes no sooner, so a summer's first events are still measured at the end."""
    bundled = Path(str(files("ven.examples") / "massachusetts" / "season.toml"))
    season, _ = load_season(bundled)
    span = timedelta(days=122 + 2 + 2)
    config = season_vtn_config(season, tmp_path / "vtn.sqlite", span)
    assert VtnRetention().readings < span  # the default alone would lose them
    assert config.retention.readings >= span
    assert config.retention.registrations >= span
    assert config.retention.prune_every >= span
    assert config.vtn.report_back_duration == season.vtn.report_back
    assert config.vtn.database == str(tmp_path / "vtn.sqlite")
