"""The planning horizon: consecutive intervals starting at one instant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from ven.model.fleet import FloatArray


@dataclass(frozen=True)
class Horizon:
    """Consecutive intervals from `start`; durations may differ (OpenADR events allow it)."""

    start: datetime
    durations: tuple[timedelta, ...]
    duration_h: FloatArray = field(init=False, repr=False, compare=False)
    start_ts: FloatArray = field(init=False, repr=False, compare=False)
    end_ts: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("horizon start must be timezone-aware")
        if not self.durations:
            raise ValueError("a horizon needs at least one interval")
        if any(d.total_seconds() <= 0 for d in self.durations):
            raise ValueError("interval durations must be positive")
        seconds = np.array([d.total_seconds() for d in self.durations], dtype=np.float64)
        ends = self.start.timestamp() + np.cumsum(seconds)
        starts = ends - seconds
        for name, array in (("duration_h", seconds / 3600.0), ("start_ts", starts), ("end_ts", ends)):
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @classmethod
    def uniform(cls, start: datetime, interval: timedelta, count: int) -> Horizon:
        return cls(start, (interval,) * count)

    @classmethod
    def covering(cls, start: datetime, duration: timedelta, interval: timedelta) -> Horizon:
        """Intervals of `interval` covering `duration`; a shorter last interval takes the remainder."""
        count, rest = divmod(duration, interval)
        durations = [interval] * int(count)
        if rest:
            durations.append(rest)
        return cls(start, tuple(durations))

    def __len__(self) -> int:
        return len(self.durations)

    @property
    def end(self) -> datetime:
        return self.start + sum(self.durations, timedelta())

    def interval_start(self, k: int) -> datetime:
        return self.start + sum(self.durations[:k], timedelta())

    def interval_end(self, k: int) -> datetime:
        return self.start + sum(self.durations[: k + 1], timedelta())

    def bounds(self) -> Sequence[tuple[datetime, datetime]]:
        return [(self.interval_start(k), self.interval_end(k)) for k in range(len(self))]
