"""How long the VEN keeps what it stores; the defaults keep a year of back-to-back events at 10,000 EVs
under 5 GB (docs/storage.md has the arithmetic). Nothing the VTN has not acknowledged is ever pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class Retention:
    telemetry: timedelta = timedelta(days=30)  # samples the VTN acknowledged
    dispatch: timedelta = timedelta(days=7)  # decisions with their per-EV setpoints
    baselines: timedelta = timedelta(days=30)  # per-EV baselines of events no longer pending
    performance: timedelta = timedelta(days=400)  # per-interval requested vs delivered (settlement)
    events: timedelta = timedelta(days=400)  # completed or cancelled events and their answers


@dataclass(frozen=True, slots=True)
class Pruned:
    """Rows deleted by one pruning pass, per table."""

    telemetry: int = 0
    dispatch: int = 0
    baselines: int = 0
    performance: int = 0
    events: int = 0
    ev_sets: int = 0

    @property
    def total(self) -> int:
        return self.telemetry + self.dispatch + self.baselines + self.performance + self.events + self.ev_sets
