"""The example the demo runs: its VEN config, fleet file and the scenario's largest event (≥ 1 MW).

An example folder holds `ven.toml` (whose `[fleet] file` is the enrollment CSV) and `scenario.toml` (a
vtn-mock scenario); the showcase event is the scenario's LOAD_DISPATCH delta asking the most energy. The
bundled examples are package data (`ven.examples`, the repository's examples/ folder), so the demo runs
from any installed wheel.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

from ven.errors import InputError
from ven.runtime.config import VenConfig, load_config
from vtn_mock.admin.models import EventCreate
from vtn_mock.scenario import PlannedEvent, ScenarioFile, load_scenario


def bundled_example(name: str) -> Path:
    """The folder of a bundled example (package data of `ven.examples`)."""
    return Path(str(files("ven.examples") / name))


EXAMPLE_DIR = bundled_example("massachusetts")


@dataclass(frozen=True)
class Showcase:
    config: VenConfig
    fleet_csv: str
    event: EventCreate  # as the scenario has it (its own, absolute start)
    scenario_event_id: str
    timezone: ZoneInfo
    time_compression: float = 1.0  # program time per event time (`ven demo --chargers ocpp` runs it faster)

    @property
    def start(self) -> datetime:
        return self.event.start

    @property
    def duration(self) -> timedelta:
        return sum((i.duration for i in self.event.intervals), timedelta())

    @property
    def requested_kw(self) -> list[float]:
        """The reduction asked per interval, kW (a delta of −1,100 asks 1,100)."""
        factor = {"kW": 1.0, "W": 0.001, "MW": 1000.0, None: 1.0}[self.event.unit]
        return [-i.value * factor for i in self.event.intervals]


def requested_kwh(planned: PlannedEvent) -> float:
    body = planned.body
    if body.signal != "LOAD_DISPATCH" or (body.type or "delta") != "delta":
        return 0.0
    return sum(-i.value * i.duration.total_seconds() / 3600 for i in body.intervals)


def load_showcase(folder: Path, now: datetime) -> Showcase:
    """The example in `folder`; InputError naming the file when something is missing or unusable."""
    config = load_config(folder / "ven.toml")
    scenario_path = folder / "scenario.toml"
    planned = load_scenario(scenario_path, now)
    best = max(planned, key=requested_kwh, default=None)
    if best is None or requested_kwh(best) <= 0:
        raise InputError(f"{scenario_path}: no LOAD_DISPATCH delta event asking for a reduction")
    try:
        fleet_csv = config.fleet.file.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise InputError(f"{config.fleet.file}: cannot read the fleet: {err.strerror}") from None
    return Showcase(config, fleet_csv, best.body, best.event_id, ZoneInfo(_scenario_zone(scenario_path)))


def _scenario_zone(path: Path) -> str:
    """The scenario's time zone (load_scenario has validated the file already)."""
    return ScenarioFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8"))).scenario.timezone
