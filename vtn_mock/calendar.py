"""A programme's season of events, drawn from a seeded calendar: which days, when, how long, how much.

Models a ConnectedSolutions-style programme (docs/season.md): events on non-holiday weekdays between two
dates, each within a daily window (e.g. 14:00–19:00 local), at most so long, called a notice ahead (the
day before), up to a number per season. Every figure is a parameter; the same seed gives the same season.
The events come out as scenario `PlannedEvent`s, so `run_scenario` sends them at their notification times
like any scenario's.

```toml
[programme]
first_day = "2026-06-01"
last_day = "2026-09-30"
timezone = "America/New_York"
holidays = ["2026-06-19", "2026-07-03", "2026-09-07"]
max_events = 60
window_start = "14:00"
window_end = "19:00"
durations = { "3h" = 0.8, "2h" = 0.2 }   # weights
start_every = "1h"                       # starts on the hour
interval = "1h"                          # one request value per interval
requested_kw = [700, 1000]               # per event, uniform in [min, max], rounded to 10 kW
notice = "24h"                           # created this long before the start
month_weights = { 6 = 0.6, 7 = 1.0, 8 = 1.0, 9 = 0.6 }
seed = 2026
```
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ven.errors import InputError
from ven.model.routine import parse_days, parse_time_of_day, parse_timezone
from ven.timeparse import coerce_duration
from vtn_mock.admin.models import EventCreate, IntervalIn
from vtn_mock.scenario import PlannedEvent

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")


def _checked(parse: Callable[[str], T], text: str) -> T:
    """`parse(text)`, its InputError as the ValueError pydantic reports with the field's name."""
    try:
        return parse(text)
    except InputError as err:
        raise ValueError(str(err)) from None


def _time(value: object) -> time:
    if isinstance(value, time):
        return value
    return _checked(parse_time_of_day, str(value))


def _zone(value: object) -> ZoneInfo:
    return value if isinstance(value, ZoneInfo) else _checked(parse_timezone, str(value))


def _days(value: object) -> frozenset[int]:
    """`weekdays`, `mon-fri`, or a list of day names."""
    if isinstance(value, frozenset):
        return value
    text = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return _checked(parse_days, text)


Duration = Annotated[timedelta, BeforeValidator(coerce_duration)]
LocalTime = Annotated[time, BeforeValidator(_time)]
Zone = Annotated[ZoneInfo, BeforeValidator(_zone)]
Days = Annotated[frozenset[int], BeforeValidator(_days)]


class ProgrammeCalendar(BaseModel):
    """The programme's rules for when events may be called, and the seed that picks them."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")] = "season"
    first_day: date
    last_day: date
    timezone: Zone = ZoneInfo("UTC")
    days: Days = frozenset(range(5))  # event days of the week (0 = Monday): weekdays
    holidays: frozenset[date] = frozenset()
    max_events: Annotated[int, Field(ge=0)] = 60
    window_start: LocalTime = time(14)
    window_end: LocalTime = time(19)
    durations: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=lambda: {"3h": 1.0})
    start_every: Duration = timedelta(hours=1)
    interval: Duration = timedelta(hours=1)
    requested_kw: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]] = (500.0, 500.0)
    notice: Duration = timedelta(hours=24)
    month_weights: dict[int, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    market_context: str = "oadr://utility.example/connectedsolutions"
    seed: int = 0

    @field_validator("durations")
    @classmethod
    def _durations(cls, value: dict[str, float]) -> dict[str, float]:
        for text in value:
            if coerce_duration(text) <= timedelta():
                raise ValueError(f"duration {text!r} must be longer than zero")
        if not value:
            raise ValueError("give at least one event duration")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ProgrammeCalendar:
        if self.last_day < self.first_day:
            raise ValueError("last_day is before first_day")
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be later than window_start (same day)")
        if self.requested_kw[1] < self.requested_kw[0]:
            raise ValueError("requested_kw is [min, max]")
        window = _minutes(self.window_end) - _minutes(self.window_start)
        for text in self.durations:
            length = coerce_duration(text)
            if length.total_seconds() / 60 > window:
                window_text = f"{self.window_start}-{self.window_end}"
                raise ValueError(f"duration {text} does not fit the {window_text} window")
            if length % self.interval:
                raise ValueError(f"duration {text} is not a whole number of {self.interval} intervals")
        if self.start_every <= timedelta() or self.interval <= timedelta():
            raise ValueError("start_every and interval must be longer than zero")
        unknown = sorted(set(self.month_weights) - set(range(1, 13)))
        if unknown:
            raise ValueError(f"month_weights: months are 1-12, not {unknown}")
        return self

    def eligible_days(self) -> list[date]:
        """Every day an event may be called on: the programme's weekdays, not holidays, weight above 0."""
        out = []
        day = self.first_day
        while day <= self.last_day:
            if day.weekday() in self.days and day not in self.holidays and self.weight(day) > 0:
                out.append(day)
            day += timedelta(days=1)
        return out

    def weight(self, day: date) -> float:
        """How likely an event is on `day`, relative to other days (its month's weight)."""
        return self.month_weights.get(day.month, 1.0)


@dataclass(frozen=True)
class CalendarEvent:
    """One drawn event: its day, start (aware, local), duration and requested reduction (kW)."""

    event_id: str
    start: datetime
    duration: timedelta
    requested_kw: float
    notify_at: datetime

    @property
    def end(self) -> datetime:
        return self.start + self.duration

    def intervals(self, length: timedelta) -> list[tuple[datetime, datetime]]:
        """(start, end) of each of the event's intervals of `length`, back to back."""
        count = int(self.duration / length)
        return [(self.start + k * length, self.start + (k + 1) * length) for k in range(count)]


def draw(calendar: ProgrammeCalendar) -> list[CalendarEvent]:
    """The season's events, in time order; the same calendar (seed included) gives the same events."""
    rng = random.Random(calendar.seed)  # noqa: S311 - a simulation's seeded draw, not cryptography
    days = _pick_days(calendar, rng)
    lengths = list(calendar.durations)
    weights = [calendar.durations[k] for k in lengths]
    events = []
    for number, day in enumerate(days, start=1):
        length = coerce_duration(rng.choices(lengths, weights)[0])
        start = _start_time(calendar, length, rng)
        begin = datetime.combine(day, start, tzinfo=calendar.timezone)
        low, high = calendar.requested_kw
        requested = round(rng.uniform(low, high) / 10.0) * 10.0
        events.append(
            CalendarEvent(
                f"{calendar.name}-{number:03d}", begin, length, max(requested, 10.0), begin - calendar.notice
            )
        )
    return events


def planned(events: list[CalendarEvent], calendar: ProgrammeCalendar, ven: str) -> list[PlannedEvent]:
    """The events as scenario entries for VEN `ven`: LOAD_DISPATCH delta, one value per interval."""
    out = []
    for event in events:
        count = len(event.intervals(calendar.interval))
        body = EventCreate(
            ven=ven,
            signal="LOAD_DISPATCH",
            type="delta",
            start=event.start,
            intervals=[IntervalIn(duration=calendar.interval, value=-event.requested_kw)] * count,
            notification=calendar.notice,
            market_context=calendar.market_context,
            vtn_comment=f"{calendar.name}: {event.requested_kw:.0f} kW",
        )
        out.append(PlannedEvent(event.event_id, event.notify_at, body))
    return out


def _pick_days(calendar: ProgrammeCalendar, rng: random.Random) -> list[date]:
    """`max_events` distinct eligible days, each drawn with its month's weight (without replacement)."""
    pool = calendar.eligible_days()
    chosen: list[date] = []
    while pool and len(chosen) < calendar.max_events:
        weights = [calendar.weight(day) for day in pool]
        pick = rng.choices(range(len(pool)), weights)[0]
        chosen.append(pool.pop(pick))
    return sorted(chosen)


def _start_time(calendar: ProgrammeCalendar, length: timedelta, rng: random.Random) -> time:
    """A start on the `start_every` grid such that the event ends within the window."""
    first = _minutes(calendar.window_start)
    last = _minutes(calendar.window_end) - int(length.total_seconds() // 60)
    step = max(int(calendar.start_every.total_seconds() // 60), 1)
    minute = rng.choice(range(first, last + 1, step))
    return time(minute // 60, minute % 60)


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute
