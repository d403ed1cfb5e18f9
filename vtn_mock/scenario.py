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
days = ["2026-07-01", 3, 10]    # ISO dates, or days from today
start_time = "16:00"

[[events]]                      # single events: absolute ISO times or relative to the start of `serve`
start = "+10m"
notice = "0s"
```
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

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ven.errors import InputError
from ven.timeparse import coerce_duration
from vtn_mock.admin.models import EventCreate
from vtn_mock.config import describe
from vtn_mock.core import VenSelectionError, VtnCore

logger = logging.getLogger("vtn_mock.scenario")


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
    model_config = ConfigDict(extra="allow")  # extra keys override [defaults] for season events
    days: list[date | int]
    start_time: time


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


def expand(scenario: ScenarioFile, now: datetime) -> list[PlannedEvent]:
    """Every event of the scenario with its notification time; raises ValueError naming the bad entry."""
    zone = ZoneInfo(scenario.scenario.timezone)
    raw: list[tuple[str, dict[str, Any]]] = []
    if scenario.season is not None:
        overrides = dict(scenario.season.model_extra or {})
        today = now.astimezone(zone).date()
        for index, day in enumerate(scenario.season.days):
            when = today + timedelta(days=day) if isinstance(day, int) else day
            start = datetime.combine(when, scenario.season.start_time, tzinfo=zone)
            entry = {**overrides, "start": start.isoformat()}
            raw.append((f"season.days[{index}]", _merge(scenario.defaults, entry)))
    raw.extend((f"events[{i}]", _merge(scenario.defaults, entry)) for i, entry in enumerate(scenario.events))
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


async def run_scenario(core: VtnCore, planned: list[PlannedEvent]) -> None:
    """Create each planned event at its notification time (at once if that has passed and it is not over)."""
    for item in planned:
        spec = item.body.to_spec()
        if item.event_id in {e.event_id for e in core.events()} or spec.end <= core.clock.now():
            continue
        wait_s = (item.notify_at - core.clock.now()).total_seconds()
        if wait_s > 0:
            await asyncio.sleep(wait_s)
        try:
            ven_ids = core.select_vens(item.body.ven_selector())
        except VenSelectionError as err:
            logger.warning(f"scenario event {item.event_id} not sent: {err}")
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
