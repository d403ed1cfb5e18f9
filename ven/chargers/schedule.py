"""Plug-in / plug-out scripts for the simulated fleet: arrivals and unexpected departures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime


@dataclass(frozen=True, slots=True)
class PlugEvent:
    """At `at`, `ev_id` is plugged in (an arrival) or out (leaving before, or without, its departure time).

    On arrival, `soc` is the SOC it arrives with (None: as it left), or `used_kwh` the energy the trip used
    (it arrives with what it left with less that, never below empty), and `departure` when it will leave
    again (None: it stays beyond any horizon).
    """

    at: datetime
    ev_id: str
    plugged_in: bool
    soc: float | None = None
    departure: datetime | None = None
    used_kwh: float | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("plug event times must be timezone-aware")
        if self.soc is not None and not 0.0 <= self.soc <= 1.0:
            raise ValueError(f"arrival SOC {self.soc} is outside 0..1")
        if self.used_kwh is not None and (self.used_kwh < 0 or self.soc is not None):
            raise ValueError("used_kwh is a trip's energy (not negative), instead of an arrival soc")


class PlugSchedule:
    """The plug events still to come, in time order (events at the same instant keep their given order)."""

    def __init__(self, events: Iterable[PlugEvent]) -> None:
        self._events = sorted(events, key=lambda e: e.at.timestamp())
        self._next = 0

    def extend(self, events: Iterable[PlugEvent]) -> None:
        """Add events still to come (the pending ones are re-sorted; consumed ones stay consumed)."""
        pending = self._events[self._next :] + list(events)
        self._events = sorted(pending, key=lambda e: e.at.timestamp())
        self._next = 0

    def next_ts(self) -> float | None:
        """POSIX time of the next pending event, None when there is none."""
        if self._next >= len(self._events):
            return None
        return self._events[self._next].at.timestamp()

    def pop_due(self, now_ts: float) -> list[PlugEvent]:
        """Every pending event at or before now_ts, consumed."""
        due: list[PlugEvent] = []
        while self._next < len(self._events) and self._events[self._next].at.timestamp() <= now_ts:
            due.append(self._events[self._next])
            self._next += 1
        return due
