"""season.toml, validated once at the edge: the VEN, the programme, the mock VTN's asks, the fleet's life.

Relative paths resolve against the file's folder. A bad file raises InputError naming the file and the
field, so `ven season` exits 2 with one line. See docs/season.md for every key.
"""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from ven.errors import InputError
from ven.runtime.config import VenConfig, setpoint_ttl_problem
from ven.timeparse import coerce_duration
from vtn_mock.calendar import Days, LocalTime, ProgrammeCalendar


def _positive(value: object) -> timedelta:
    delta = coerce_duration(value)
    if delta <= timedelta():
        raise ValueError("must be longer than zero")
    return delta


Duration = Annotated[timedelta, BeforeValidator(_positive)]
Share = Annotated[float, Field(ge=0, le=1)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeasonSection(_Section):
    ven: Path = Path("ven.toml")  # the VEN exactly as `ven run` would run it
    seed: int = 0  # the fleet's life; the programme's calendar has its own seed
    lead: Duration = timedelta(days=2)  # the simulation starts this long before the programme's first day
    step: Duration = timedelta(minutes=15)  # simulator step (commands and plug events split it)
    tick: Duration = timedelta(minutes=5)  # how often the simulated chargers look for plug-outs
    # The VEN's database (sqlite:///… or postgresql://…; relative paths from this file's folder): one VEN
    # per policy, named `<ven name>-<policy>`, kept afterwards. Empty: a temporary SQLite file per policy.
    storage: str = ""


class VtnSection(_Section):
    """What the mock VTN asks of the VEN: how often to poll, how to report usage."""

    poll_interval: Duration = timedelta(hours=1)
    report_sampling: Duration = timedelta(minutes=5)  # TELEMETRY_USAGE granularity
    report_back: Duration = timedelta(hours=24)  # reportBackDuration: how often the VEN sends them
    status_sampling: Duration = timedelta(hours=1)  # TELEMETRY_STATUS granularity


class PaymentSection(_Section):
    """`rate_usd_per_kw` times the fleet's average delivered kW over every event hour of the season."""

    rate_usd_per_kw: Annotated[float, Field(ge=0)] = 200.0
    rule: Literal["average_kw_all_event_hours"] = "average_kw_all_event_hours"


class DegradationSection(_Section):
    """Linear cycle ageing: a full cycle costs capacity × pack price / cycle life (docs/season.md)."""

    pack_cost_usd_per_kwh: Annotated[float, Field(ge=0)] = 115.0
    cycle_life_efc: Annotated[float, Field(gt=0)] = 3000.0


class SummerProgram(_Section):
    """School buses that run summer-school routes during the vacation: a share of them, on these days."""

    first: date
    last: date
    days: Days = frozenset(range(4))
    share: Share = 0.0


class SchoolCalendar(_Section):
    sessions: list[tuple[date, date]]  # first and last day of each stretch of school days
    summer_program: SummerProgram | None = None

    def in_session(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.sessions)


class LifeProfile(_Section):
    """How the EVs of matching sites live their days; the enrollment routine is the mean pattern."""

    sites: list[str]  # glob patterns on the site name; the first profile that matches wins
    calendar: Literal["school", "workweek", "commute"] = "workweek"
    departure: LocalTime | None = None  # used when an EV's enrollment has no routine
    plug_in: LocalTime | None = None
    days: Days = frozenset(range(5))
    departure_sd: timedelta = timedelta(minutes=10)
    plug_in_sd: timedelta = timedelta(minutes=20)
    skip_share: Share = 0.0  # trip days it stays home anyway (hybrid work, days off)
    trip_kwh: Annotated[float, Field(ge=0)] | None = None  # None: from the routine's plug_in_soc
    trip_sd_share: Annotated[float, Field(ge=0, le=1)] = 0.15  # spread of a trip's energy, relative
    early_share: Share = 0.0  # trips that start earlier than the EV announced at plug-in
    early_by: tuple[timedelta, timedelta] = (timedelta(minutes=15), timedelta(hours=1))

    @field_validator("departure_sd", "plug_in_sd", mode="before")
    @classmethod
    def _spread(cls, value: object) -> timedelta:
        return coerce_duration(value)

    @field_validator("early_by", mode="before")
    @classmethod
    def _range(cls, value: object) -> tuple[timedelta, timedelta]:
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValueError("give [min, max], e.g. ['15m', '1h']")
        low, high = coerce_duration(value[0]), coerce_duration(value[1])
        if not timedelta() < low <= high:
            raise ValueError("early_by is [min, max], both longer than zero")
        return low, high


class SeasonConfig(_Section):
    season: SeasonSection = SeasonSection()
    programme: ProgrammeCalendar
    payment: PaymentSection = PaymentSection()
    vtn: VtnSection = VtnSection()
    degradation: DegradationSection = DegradationSection()
    school: SchoolCalendar | None = None
    life: list[LifeProfile] = []
    ven_settings: dict[str, Any] = {}  # merged over ven.toml's sections for the season
    base_dir: Path = Path()


def load_season(path: str | Path) -> tuple[SeasonConfig, VenConfig]:
    """Read season.toml and the ven.toml it names (with `[ven_settings]` over it); InputError when bad."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"{path}: cannot read the season: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: not valid TOML: {err}") from None
    if "base_dir" in raw:
        raise InputError(f"{path}: unknown top-level key 'base_dir'")
    try:
        season = SeasonConfig.model_validate({**raw, "base_dir": path.resolve().parent})
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise InputError(f"{path}: {field}: {first['msg']}") from None
    except InputError as err:  # a time or day list parsed by our own helpers
        raise InputError(f"{path}: {err}") from None
    if season.school is None and any(p.calendar == "school" for p in season.life):
        raise InputError(f"{path}: life: a profile follows the school calendar, but [school] is missing")
    return season, _ven_config(season, path)


def _ven_config(season: SeasonConfig, path: Path) -> VenConfig:
    ven_path = season.season.ven if season.season.ven.is_absolute() else season.base_dir / season.season.ven
    try:
        raw = tomllib.loads(ven_path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"{path}: season.ven: cannot read {ven_path}: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{ven_path}: not valid TOML: {err}") from None
    for section, values in season.ven_settings.items():
        if not isinstance(values, dict):
            raise InputError(f"{path}: ven_settings.{section}: expected a table of ven.toml settings")
        raw[section] = {**raw.get(section, {}), **values}
    if "base_dir" in raw:
        raise InputError(f"{ven_path}: unknown top-level key 'base_dir'")
    where = f"{ven_path} (with {path}'s ven_settings)"
    try:
        config = VenConfig.model_validate({**raw, "base_dir": ven_path.resolve().parent})
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise InputError(f"{where}: {field}: {first['msg']}") from None
    lapse = setpoint_ttl_problem(config)  # ven.toml's ttl may fit its own period, not the season's
    if lapse is not None:
        raise InputError(f"{where}: {lapse}")
    return config
