"""What every repository shares: its backend, the VEN whose rows it touches, the clock, and value formats.

Times are stored as UTC ISO 8601 text with fixed microseconds (text order is time order, on every backend).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ven.clock import Clock
    from ven.storage.backend import Backend


def to_db_time(when: datetime) -> str:
    """UTC ISO 8601 with fixed microseconds, so text order is time order."""
    if when.tzinfo is None:
        raise ValueError(f"refusing to store a naive datetime: {when!r}")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def optional_time(text: str | None) -> datetime | None:
    return None if text is None else from_db_time(text)


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return to_db_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def to_json(value: object) -> str:
    """Compact JSON; datetimes become UTC ISO strings, timedeltas seconds, enums their values."""
    return json.dumps(value, default=_json_default, separators=(",", ":"), allow_nan=False)


def from_json(text: str) -> Any:
    return json.loads(text)


@dataclass(frozen=True, slots=True)
class Scope:
    """The backend, the VEN name that owns the rows, and the clock that stamps them."""

    backend: Backend
    ven: str
    clock: Clock

    def now_text(self) -> str:
        return to_db_time(self.clock.now())
