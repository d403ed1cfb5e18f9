"""Owner and fleet-manager overrides: "leave these EVs alone" for one event or a time window.

An override names an event (`event_id`) or a window (`start`..`end`), and optionally one site; without a
site it covers the whole fleet. It is recorded in the VEN's database (by `ven opt-out`, or the HTTP
endpoint of a running VEN) and stays in force until it is cancelled or its window has passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from ven.availability.windows import Window
from ven.model.fleet import BoolArray


@dataclass(frozen=True, slots=True)
class Override:
    """One override; `id` is set by the store. Exactly one of `event_id` and `window` is given."""

    event_id: str | None = None
    window: Window | None = None
    site: str | None = None
    note: str = ""
    created_at: datetime | None = None
    cancelled_at: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if (self.event_id is None) == (self.window is None):
            raise ValueError("an override names either an event or a window (from .. until)")
        if self.event_id == "" or self.site == "":
            raise ValueError("an override's event id and site must not be empty")

    @property
    def whole_fleet(self) -> bool:
        return self.site is None

    def active(self, now: datetime) -> bool:
        """Not cancelled, and (for a window) not over yet."""
        if self.cancelled_at is not None:
            return False
        return self.window is None or self.window.end > now

    def describe(self) -> str:
        if self.window is None:
            what = f"event {self.event_id}"
        else:
            what = f"{_iso(self.window.start)}..{_iso(self.window.end)}"
        where = "the whole fleet" if self.site is None else f"site {self.site}"
        return f"owner override #{self.id}: {where}, {what}"


@dataclass(frozen=True)
class Holds:
    """Who the fleet must leave alone at one instant: every EV, or the EVs of some sites; and which of
    that an owner override asked for (TELEMETRY_STATUS reports it as a manual override)."""

    whole_fleet: bool = False
    sites: frozenset[str] = field(default_factory=frozenset)
    manual_whole: bool = False
    manual_sites: frozenset[str] = field(default_factory=frozenset)

    def mask(self, sites: Sequence[str]) -> BoolArray:
        """(N,) True for the EVs (by their site) that are held."""
        if self.whole_fleet:
            return np.ones(len(sites), dtype=bool)
        if not self.sites:
            return np.zeros(len(sites), dtype=bool)
        return np.fromiter((site in self.sites for site in sites), dtype=bool, count=len(sites))

    def overridden(self, site: str | None) -> bool:
        """Whether an owner override holds `site` (None: the fleet, i.e. any part of it)."""
        if site is None:
            return self.manual_whole or bool(self.manual_sites)
        return self.manual_whole or site in self.manual_sites

    def __or__(self, other: Holds) -> Holds:
        return Holds(
            self.whole_fleet or other.whole_fleet,
            self.sites | other.sites,
            self.manual_whole or other.manual_whole,
            self.manual_sites | other.manual_sites,
        )


NO_HOLDS = Holds()


def override_holds(overrides: Iterable[Override], at: datetime, dispatching: str | None) -> Holds:
    """What the owner overrides hold at `at`, while event `dispatching` (or none) runs."""
    whole = False
    sites: set[str] = set()
    for override in overrides:
        if not override.active(at):
            continue
        in_force = (
            override.window.covers(at)
            if override.window is not None
            else override.event_id == dispatching and override.site is not None
        )
        if not in_force:
            continue
        if override.site is None:
            whole = True
        else:
            sites.add(override.site)
    if not whole and not sites:
        return NO_HOLDS
    return Holds(whole, frozenset(sites), manual_whole=whole, manual_sites=frozenset(sites))


def event_opt_out(overrides: Iterable[Override], event_id: str) -> Override | None:
    """The whole-fleet override of one event, if any is active (site overrides leave the event opted in)."""
    for override in overrides:
        if override.event_id == event_id and override.site is None and override.cancelled_at is None:
            return override
    return None


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="minutes")
