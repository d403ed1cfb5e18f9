"""Programs from a scenario file: a season of events, each created (notified) a set time before it starts.

```toml
[scenario]
name = "summer-peak"            # event ids are name-001, name-002, ... (stable across restarts)
timezone = "America/New_York"   # for season days and start_time (default UTC)

[defaults]                      # any POST /api/events field (respect_opt_outs too), plus `notice`
signal = "LOAD_DISPATCH"
intervals = [{ duration = "1h", value = -500 }, { duration = "2h", value = -300 }]
notice = "24h"                  # created (sent to VENs) this long before the start

[season]                        # one event per day; other keys override [defaults]
next = 5                        # the next 5 days among `on` whose start_time is still ahead
on = "tue-thu"                  # days of the week (default mon-fri); or days = ["2026-07-01", 3, 10]
start_time = "16:00"            #   (ISO dates, or days from today) instead of next/on

[[events]]                      # single events: ISO times, or relative to the start of `serve`
start = "+10m"
notice = "0s"

[[events]]                      # ... or the next `on` day (default: any) whose start_time is ahead
on = "wed"
start_time = "16:00"
```

Relative forms (`next`/`on`, `start_time`, `+10m`, day offsets) put every event in the future whatever
today's date is; an event already over when `serve` starts is not scheduled (and `serve` warns when that
leaves nothing to send).
"""

from __future__ import annotations

import asyncio
import logging
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ven.errors import InputError
from ven.model.routine import local_instant, parse_days
from ven.timeparse import coerce_duration
from vtn_mock.admin.models import EventCreate
from vtn_mock.config import describe
from vtn_mock.core import VenSelectionError, VtnCore

logger = logging.getLogger("vtn_mock.scenario")
REGISTRATION_CHECK_S = 1.0  # how often a due event for every VEN looks for a first registration


class _Meta(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "scenario"
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class _Season(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)  # extra keys override [defaults]
    days: list[date | int] | None = None
    count: int | None = Field(None, alias="next", ge=1, le=366)
    on: str = "mon-fri"
    start_time: time

    @field_validator("on")
    @classmethod
    def _weekdays(cls, value: str) -> str:
        try:
            parse_days(value)
        except InputError as err:
            raise ValueError(str(err)) from None
        return value

    @model_validator(mode="after")
    def _one_way(self) -> _Season:
        if (self.days is None) == (self.count is None):
            raise ValueError("give either days (dates or day offsets) or next (a number of days)")
        return self


class ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: _Meta = _Meta()
    defaults: dict[str, Any] = {}
    season: _Season | None = None
    events: list[dict[str, Any]] = []


@dataclass(frozen=True)
class PlannedEvent:
    event_id: str
    notify_at: datetime
    body: EventCreate


def _merge(defaults: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """An entry over the defaults; an entry that names its own signal does not inherit the default type."""
    merged = {**defaults, **entry}
    if "signal" in entry and "type" not in entry:
        merged.pop("type", None)
    return merged


def upcoming_days(zone: ZoneInfo, now: datetime, at: time, on: frozenset[int], count: int) -> list[datetime]:
    """The first `count` days among `on` (0 = Monday) whose local time `at` is after `now`, at that time."""
    found: list[datetime] = []
    day = now.astimezone(zone).date()
    while len(found) < count:
        if day.weekday() in on:
            start = local_instant(day, at, zone)
            if start > now:
                found.append(start)
        day += timedelta(days=1)
    return found


def _season_starts(season: _Season, zone: ZoneInfo, now: datetime) -> list[tuple[str, datetime]]:
    if season.count is not None:
        starts = upcoming_days(zone, now, season.start_time, parse_days(season.on), season.count)
        return [(f"season[{index}]", start) for index, start in enumerate(starts)]
    today = now.astimezone(zone).date()
    days = [today + timedelta(days=day) if isinstance(day, int) else day for day in season.days or []]
    return [
        (f"season.days[{index}]", local_instant(day, season.start_time, zone))
        for index, day in enumerate(days)
    ]


def _single(entry: dict[str, Any], zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    """An [[events]] entry with `start_time` (and `on`) resolved to its next start."""
    if "start_time" not in entry:
        return entry
    entry = dict(entry)
    at = _Season.model_validate(
        {"next": 1, "start_time": entry.pop("start_time"), "on": entry.pop("on", "daily")}
    )
    entry["start"] = upcoming_days(zone, now, at.start_time, parse_days(at.on), 1)[0].isoformat()
    return entry


def expand(scenario: ScenarioFile, now: datetime) -> list[PlannedEvent]:
    """Every event of the scenario with its notification time; raises ValueError naming the bad entry."""
    zone = ZoneInfo(scenario.scenario.timezone)
    raw: list[tuple[str, dict[str, Any]]] = []
    if scenario.season is not None:
        overrides = dict(scenario.season.model_extra or {})
        for where, start in _season_starts(scenario.season, zone, now):
            entry = {**overrides, "start": start.isoformat()}
            raw.append((where, _merge(scenario.defaults, entry)))
    for i, entry in enumerate(scenario.events):
        try:
            resolved = _single(entry, zone, now)
        except ValidationError as err:
            raise ValueError(f"events[{i}].{describe(err)}") from None
        raw.append((f"events[{i}]", _merge(scenario.defaults, resolved)))
    planned = []
    for number, (where, body) in enumerate(raw, start=1):
        try:
            notice = coerce_duration(body.pop("notice", "0s"))
            model = EventCreate.model_validate(body, context={"now": now})
        except ValidationError as err:
            raise ValueError(f"{where}.{describe(err)}") from None
        except ValueError as err:
            raise ValueError(f"{where}.notice: {err}") from None
        if notice > timedelta() and model.notification is None:
            model = model.model_copy(update={"notification": notice})
        planned.append(PlannedEvent(f"{scenario.scenario.name}-{number:03d}", model.start - notice, model))
    return sorted(planned, key=lambda p: p.notify_at)


def load_scenario(path: Path, now: datetime) -> list[PlannedEvent]:
    try:
        scenario = ScenarioFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        return expand(scenario, now)
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: not valid TOML ({err})") from None
    except ValidationError as err:
        raise InputError(f"{path}: {describe(err)}") from None
    except ValueError as err:
        raise InputError(f"{path}: {err}") from None


def upcoming(planned: list[PlannedEvent], now: datetime) -> list[PlannedEvent]:
    """The planned events that are not over at `now`."""
    return [item for item in planned if item.body.to_spec().end > now]


def schedule(core: VtnCore, planned: list[PlannedEvent]) -> int:
    """List every upcoming planned event not sent yet (status pending until it is); how many there are."""
    waiting = [item for item in upcoming(planned, core.clock.now()) if not core.sent(item.event_id)]
    for item in waiting:
        core.schedule(item.event_id, item.body.to_spec(), item.notify_at)
    return len(waiting)


def warn_if_idle(path: Path, planned: list[PlannedEvent], now: datetime) -> str | None:
    """The one warning line for a scenario that will send nothing, or None."""
    if not planned:
        return f"{path}: the scenario has no events: nothing will be sent"
    if not upcoming(planned, now):
        last = max(item.body.to_spec().end for item in planned)
        return (
            f"{path}: every event of the scenario is over (the last ended {last.isoformat()}): nothing will "
            "be sent (use relative days: [season] next/on, [[events]] start_time or +10m)"
        )
    return None


async def run_scenario(core: VtnCore, planned: list[PlannedEvent]) -> None:
    """Create each planned event at its notification time (at once if that has passed and it is not over).

    An event for every VEN (`ven = "*"`) that falls due before any VEN has registered waits for the first
    registration (while it is not over), so `serve` first and `ven run` a minute later still connect.
    """
    schedule(core, planned)
    for item in planned:
        spec = item.body.to_spec()
        if core.sent(item.event_id) or spec.end <= core.clock.now():
            continue
        wait_s = (item.notify_at - core.clock.now()).total_seconds()
        if wait_s > 0:
            await asyncio.sleep(wait_s)
        ven_ids = await _recipients(core, item)
        if ven_ids is None:
            continue
        respect = item.body.respect_opt_outs
        if core.respect_opt_outs if respect is None else respect:
            opted_out = core.opted_out(ven_ids, spec)
            for ven_id, opt in opted_out.items():
                logger.info(f"scenario event {item.event_id}: VEN {ven_id} left out (opt {opt.opt_id})")
            ven_ids = [v for v in ven_ids if v not in opted_out]
            if not ven_ids:
                logger.warning(f"scenario event {item.event_id} not sent: every VEN opted out of its time")
                continue
        core.create_event(spec, ven_ids, event_id=item.event_id, source="scenario")
        logger.info(f"scenario event {item.event_id} sent to {ven_ids} (starts {spec.start.isoformat()})")


async def _recipients(core: VtnCore, item: PlannedEvent) -> list[str] | None:
    selector = item.body.ven_selector()
    waiting = False
    while True:
        try:
            return core.select_vens(selector)
        except VenSelectionError as err:
            if selector is not None or item.body.to_spec().end <= core.clock.now():
                logger.warning(f"scenario event {item.event_id} not sent: {err}")
                return None
            if not waiting:
                logger.info(f"scenario event {item.event_id} is due; it waits for a VEN to register")
                waiting = True
        await asyncio.sleep(REGISTRATION_CHECK_S)
