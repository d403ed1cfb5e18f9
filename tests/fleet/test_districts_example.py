"""examples/districts/run.py splits the showcase fleet into one enrollment file per VEN, on any date."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from ven.model.enrollment import load_fleet

RUN_PY = Path(__file__).resolve().parents[2] / "examples" / "districts" / "run.py"


def districts_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("districts_run", RUN_PY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_split_fleet_gives_seven_vens_with_every_ev_and_departures_ahead(tmp_path: Path) -> None:
    """Seven files (five districts, municipal, residences) hold all 90 EVs; departures lie after the event."""
    example = districts_example()
    now = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    fleets = example.split_fleet(tmp_path, now)
    assert len(fleets) == 7
    assert {"ma-municipal", "ma-residences"} <= set(fleets)
    total = 0
    for path, capacity_kw in fleets.values():
        fleet = load_fleet(path, now=now)
        total += len(fleet.evs)
        assert capacity_kw > 0
        departures = [ev.departure for ev in fleet.evs if ev.departure is not None]
        assert departures
        assert all(departure > now + example.LEAD for departure in departures)
    assert total == 90
