"""Load the fleet enrollment CSV (CONTRACT.md) into validated, immutable EV records.

A bad file is refused whole: the first problem found is reported with file, line and column.
A departure is an absolute ISO 8601 time, an offset from the reference time (`+14h`), or a local time of
day (`06:15`, in the row's `timezone`) on the row's `days`: the EV's routine (ven.model.routine), resolved
to its next occurrence after the reference time, so a fleet file means the same on any date.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from ven.errors import FleetFileError, InputError
from ven.model.fleet import EV, Fleet
from ven.model.routine import ALL_DAYS, Routine, is_time_of_day, parse_days, parse_time_of_day, parse_timezone
from ven.timeparse import parse_duration, parse_iso_datetime

REQUIRED = ("ev_id", "site", "capacity_kwh", "soc", "max_charge_kw")
OPTIONAL = (
    "max_discharge_kw",
    "min_soc",
    "target_soc",
    "departure",
    "departure_soc",
    "efficiency",
    "plugged_in",
    "priority",
    "charger_id",
    "timezone",
    "days",
    "plug_in",
    "plug_in_soc",
)
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}

T = TypeVar("T")


def load_fleet(path: str | Path, *, now: datetime | None = None, timezone: ZoneInfo | None = None) -> Fleet:
    """Read and validate an enrollment file; raise FleetFileError naming file, line and column.

    `now`: the reference time relative departures (`+14h`, `06:15`) resolve against (default: the time
    now); `timezone`: the zone of local times in rows without a `timezone` of their own (default UTC).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FleetFileError(str(path), None, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FleetFileError(str(path), None, None, f"cannot read: {exc}") from None
    return parse_fleet(text, str(path), now=now, timezone=timezone)


def parse_fleet(
    text: str, source: str = "<fleet>", *, now: datetime | None = None, timezone: ZoneInfo | None = None
) -> Fleet:
    """Parse enrollment CSV text; `source` names the file in error messages (see load_fleet)."""
    context = _Context(now or datetime.now(UTC), timezone or ZoneInfo("UTC"))
    reader = csv.reader(_lines(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise FleetFileError(source, 1, None, "empty file: expected a header row") from None
    _check_header(header, source)
    evs: list[EV] = []
    seen: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise FleetFileError(source, line, None, f"expected {len(header)} fields, found {len(cells)}")
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        ev = _parse_row(row, _Cell(source, line), context)
        if ev.ev_id in seen:
            raise FleetFileError(
                source, line, "ev_id", f"duplicate ev_id {ev.ev_id!r} (first on line {seen[ev.ev_id]})"
            )
        seen[ev.ev_id] = line
        evs.append(ev)
    if not evs:
        raise FleetFileError(source, None, None, "no EVs enrolled (the file has a header but no rows)")
    return Fleet(tuple(evs))


def _lines(text: str) -> Iterator[str]:
    yield from text.splitlines(keepends=True)


def _check_header(header: list[str], source: str) -> None:
    known = set(REQUIRED) | set(OPTIONAL)
    for name in REQUIRED:
        if name not in header:
            raise FleetFileError(source, 1, name, "required column is missing from the header")
    for name in header:
        if name not in known:
            raise FleetFileError(
                source, 1, name, f"unknown column (known: {', '.join((*REQUIRED, *OPTIONAL))})"
            )
    duplicates = {h for h in header if header.count(h) > 1}
    if duplicates:
        raise FleetFileError(source, 1, min(duplicates), "column appears twice in the header")


class _Context:
    """What relative values in a file resolve against: the reference time and the default time zone."""

    def __init__(self, now: datetime, timezone: ZoneInfo) -> None:
        if now.tzinfo is None:
            raise ValueError("the reference time must be timezone-aware")
        self.now = now
        self.timezone = timezone


class _Cell:
    """Converts one row's cells, raising errors located at this file and line."""

    def __init__(self, source: str, line: int) -> None:
        self.source = source
        self.line = line

    def fail(self, column: str, problem: str) -> FleetFileError:
        return FleetFileError(self.source, self.line, column, problem)

    def get(self, row: dict[str, str], column: str, convert: Callable[[str], T], default: T) -> T:
        raw = row.get(column, "")
        if raw == "":
            if column in REQUIRED:
                raise self.fail(column, "value is required")
            return default
        try:
            return convert(raw)
        except (ValueError, InputError) as exc:
            raise self.fail(column, f"{raw!r} is not {_describe(convert)}: {exc}") from None


def _number(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError("must be finite")
    return value


def _integer(raw: str) -> int:
    return int(raw)


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("use true or false")


def _time(raw: str) -> datetime:
    return parse_iso_datetime(raw)


def _departure(raw: str) -> str:
    """Checked here, resolved in _resolve_departure (it needs the row's time zone and days)."""
    if is_time_of_day(raw):
        parse_time_of_day(raw)
    elif raw.startswith("+"):
        if parse_duration(raw[1:]).total_seconds() <= 0:
            raise ValueError("an offset from now must be positive")
    else:
        parse_iso_datetime(raw)
    return raw


def _time_of_day(raw: str) -> time:
    return parse_time_of_day(raw)


def _zone(raw: str) -> ZoneInfo:
    return parse_timezone(raw)


def _days(raw: str) -> frozenset[int]:
    return parse_days(raw)


def _text(raw: str) -> str:
    return raw


def _describe(convert: Callable[[str], object]) -> str:
    names: dict[object, str] = {
        _number: "a number",
        _integer: "an integer",
        _boolean: "a boolean",
        _time: "an ISO 8601 time with a UTC offset",
        _departure: "a departure (an ISO 8601 time with a UTC offset, +duration, or a local HH:MM)",
        _time_of_day: "a local time of day (HH:MM)",
        _zone: "an IANA time zone",
        _days: "a list of days",
    }
    return names.get(convert, "valid")


def _parse_row(row: dict[str, str], cell: _Cell, context: _Context) -> EV:
    departure, routine = _resolve_departure(row, cell, context)
    ev = EV(
        ev_id=cell.get(row, "ev_id", _text, ""),
        site=cell.get(row, "site", _text, ""),
        capacity_kwh=cell.get(row, "capacity_kwh", _number, 0.0),
        soc=cell.get(row, "soc", _number, 0.0),
        max_charge_kw=cell.get(row, "max_charge_kw", _number, 0.0),
        max_discharge_kw=cell.get(row, "max_discharge_kw", _number, 0.0),
        min_soc=cell.get(row, "min_soc", _number, 0.2),
        target_soc=cell.get(row, "target_soc", _number, 1.0),
        departure=departure,
        departure_soc=cell.get(row, "departure_soc", _number, 0.8),
        efficiency=cell.get(row, "efficiency", _number, 0.92),
        plugged_in=cell.get(row, "plugged_in", _boolean, True),
        priority=cell.get(row, "priority", _integer, 0),
        charger_id=cell.get(row, "charger_id", _text, ""),
        routine=routine,
    )
    _check_ranges(ev, cell)
    return ev


def _resolve_departure(
    row: dict[str, str], cell: _Cell, context: _Context
) -> tuple[datetime | None, Routine | None]:
    """The departure as an absolute time, and the routine it came from when it is a local time of day."""
    raw = cell.get(row, "departure", _departure, "")
    zone = cell.get(row, "timezone", _zone, context.timezone)
    days = cell.get(row, "days", _days, ALL_DAYS)
    plug_in = cell.get(row, "plug_in", _time_of_day, None)
    plug_in_soc = cell.get(row, "plug_in_soc", _number, None)
    recurring = is_time_of_day(raw)
    for column, given in (
        ("days", row.get("days")),
        ("plug_in", row.get("plug_in")),
        ("plug_in_soc", row.get("plug_in_soc")),
    ):
        if given and not recurring:
            raise cell.fail(column, "only meaningful with a departure given as a local time of day (HH:MM)")
    if plug_in_soc is not None and not 0.0 <= plug_in_soc <= 1.0:
        raise cell.fail("plug_in_soc", f"SOC must be a fraction between 0 and 1, got {plug_in_soc}")
    if not raw:
        return None, None
    if raw.startswith("+"):
        return context.now + parse_duration(raw[1:]), None
    if not recurring:
        return parse_iso_datetime(raw), None
    routine = Routine(zone, parse_time_of_day(raw), days, plug_in, plug_in_soc)
    return routine.next_departure(context.now).astimezone(UTC), routine


def _check_ranges(ev: EV, cell: _Cell) -> None:
    if ev.capacity_kwh <= 0:
        raise cell.fail("capacity_kwh", f"must be positive, got {ev.capacity_kwh}")
    for column in ("soc", "min_soc", "target_soc", "departure_soc"):
        value = getattr(ev, column)
        if not 0.0 <= value <= 1.0:
            raise cell.fail(column, f"SOC must be a fraction between 0 and 1, got {value}")
    if ev.max_charge_kw < 0:
        raise cell.fail("max_charge_kw", f"power limit must not be negative, got {ev.max_charge_kw}")
    if ev.max_discharge_kw < 0:
        raise cell.fail(
            "max_discharge_kw",
            f"power limit must not be negative (it is a magnitude), got {ev.max_discharge_kw}",
        )
    if not 0.0 < ev.efficiency <= 1.0:
        raise cell.fail("efficiency", f"must be in (0, 1], got {ev.efficiency}")
    if ev.min_soc > ev.departure_soc:
        raise cell.fail(
            "min_soc",
            f"min_soc {ev.min_soc} is above departure_soc {ev.departure_soc}; the reserve must not exceed it",
        )
