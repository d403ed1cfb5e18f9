"""Why and when the fleet cannot serve: configured recurring windows, windows where every EV is away (from
the enrollment's stays), and owner overrides — one view used by dispatch (holds), TELEMETRY_STATUS
(manual override), the forecast (held EV × step), the opt decision (blocking) and the opt schedules the
VTN is told about (ven.availability.sync).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from ven.availability.overrides import NO_HOLDS, Holds, Override, event_opt_out, override_holds
from ven.availability.windows import RecurringWindow, Window, covered, gaps, merged
from ven.model.presence import occupied

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ven.model.fleet import BoolArray, Fleet
    from ven.model.horizon import Horizon


class Kind(StrEnum):
    """Why the fleet cannot serve; the protocol edge maps each to its own reason (2.0b optReason)."""

    SCHEDULE = "schedule"  # configured recurring windows
    AWAY = "away"  # every EV away, from the enrollment
    OVERRIDE = "override"  # an owner or fleet-manager override


@dataclass(frozen=True)
class OptSchedule:
    """One opt-out the VTN should have: windows (an availability schedule) or one event, for the whole
    fleet or one site. `horizon` is how far ahead `windows` were computed (None: they are fixed)."""

    key: str
    kind: Kind
    windows: tuple[Window, ...] = ()
    event_id: str | None = None
    site: str | None = None
    horizon: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Unavailability:
    """The configured windows (local times in `zone`) and whether to derive "every EV away" windows."""

    zone: ZoneInfo
    recurring: tuple[RecurringWindow, ...] = ()
    derive_away: bool = True
    lookahead: timedelta = timedelta(hours=48)

    def scheduled(self, since: datetime, until: datetime) -> list[Window]:
        """Occurrences of the configured windows overlapping [since, until), merged."""
        return merged(w for r in self.recurring for w in r.occurrences(self.zone, since, until))

    def away(self, fleet: Fleet, since: datetime, until: datetime) -> list[Window]:
        """The parts of [since, until) where no EV of `fleet` (its state at `since`) is plugged in."""
        if not self.derive_away or len(fleet) == 0:
            return []
        spans = occupied(fleet, since, until)
        present = [Window(start, end or until) for start, end in spans if (end or until) > start]
        return gaps(present, since, until)

    def holds(self, at: datetime, overrides: Sequence[Override], dispatching: str | None = None) -> Holds:
        """Who dispatch must leave alone at `at`: everyone in a configured window, plus the overrides."""
        scheduled = any(w.covers(at) for w in self.scheduled(at, at + timedelta(microseconds=1)))
        base = Holds(whole_fleet=True) if scheduled else NO_HOLDS
        return base | override_holds(overrides, at, dispatching)

    def held_mask(self, sites: Sequence[str], horizon: Horizon, overrides: Sequence[Override]) -> BoolArray:
        """(N, K): EV i is held at some point of step k (configured windows and window overrides)."""
        out = np.zeros((len(sites), len(horizon)), dtype=bool)
        whole = self.scheduled(horizon.start, horizon.end) + [
            o.window for o in overrides if o.window is not None and o.site is None and o.active(horizon.start)
        ]
        by_site = [
            o for o in overrides if o.window is not None and o.site is not None and o.active(horizon.start)
        ]
        site_array = np.array(sites, dtype=object)
        for k, (start, end) in enumerate(horizon.bounds()):
            if any(w.overlaps(start, end) for w in whole):
                out[:, k] = True
                continue
            for override in by_site:
                if override.window is not None and override.window.overlaps(start, end):
                    out[:, k] |= site_array == override.site
        return out

    def blocking(
        self, event_id: str, *, start: datetime, end: datetime, overrides: Sequence[Override]
    ) -> str | None:
        """Why the fleet must opt out of an event over [start, end) (None: it may take part, as far as it
        can): an owner override of the event, or configured windows and whole-fleet owner windows covering
        all of it. Where the EVs will be is the plan's and the forecast's to judge."""
        override = event_opt_out(overrides, event_id)
        if override is not None:
            return override.describe()
        if end <= start:
            return None
        owners = [o for o in overrides if o.window is not None and o.site is None and o.active(start)]
        scheduled = self.scheduled(start, end)
        windows = [*scheduled, *[o.window for o in owners if o.window is not None]]
        if not windows or not covered(windows, start, end):
            return None
        reasons = []
        if scheduled:
            reasons.append("configured unavailability")
        if any(o.window is not None and o.window.overlaps(start, end) for o in owners):
            reasons.append("owner override")
        return f"the fleet is unavailable for the whole event ({_span(start, end)}): {', '.join(reasons)}"

    def schedules(self, now: datetime, fleet: Fleet, overrides: Sequence[Override]) -> list[OptSchedule]:
        """Every opt-out the VTN should have now (empty schedules are left out)."""
        until = now + self.lookahead
        out: list[OptSchedule] = []
        scheduled = self.scheduled(now, until)
        if scheduled:
            out.append(OptSchedule("schedule", Kind.SCHEDULE, tuple(scheduled), horizon=until))
        away = self.away(fleet, now, until)
        if away:
            out.append(OptSchedule("away", Kind.AWAY, tuple(away), horizon=until))
        for override in overrides:
            if not override.active(now) or override.id is None:
                continue
            window = () if override.window is None else (override.window,)
            out.append(
                OptSchedule(
                    f"override-{override.id}",
                    Kind.OVERRIDE,
                    window,
                    event_id=override.event_id,
                    site=override.site,
                    note=override.describe(),
                )
            )
        return out


def _span(start: datetime, end: datetime) -> str:
    return f"{start.isoformat(timespec='minutes')}..{end.isoformat(timespec='minutes')}"
