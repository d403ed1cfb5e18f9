"""Departure SOC, measured: run the simulated fleet on past the last departure and look at who left short.

After the event the VEN has released every charger, so the EVs charge as their owners' chargers would
(unmanaged, up to target_soc); an EV's SOC no longer changes once it has left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from ven.chargers.simulated import SimulatedFleet
from ven.clock import ManualClock
from ven.feasibility.physics import DEPARTURE_SOC_TOLERANCE
from ven.metrics import user_satisfaction

if TYPE_CHECKING:
    from ven.demo.progress import Progress
    from ven.demo.recorder import FleetTruth
    from ven.model.fleet import BoolArray, Fleet


@dataclass(frozen=True)
class DepartureCheck:
    watched: int  # EVs plugged in at the start that leave at a set time
    departed: int
    violations: tuple[str, ...]  # those that left below their departure_soc
    last_departure: datetime | None
    satisfaction: tuple[float, ...] = ()  # per EV that left: min(1, SOC at departure / departure_soc)


def watched(fleet: Fleet) -> BoolArray:
    """EVs plugged in at the start with a departure time: the ones whose departure SOC is ours to keep."""
    return fleet.plugged_in & np.isfinite(fleet.departure_ts)


def run_past_departures(gateway: SimulatedFleet, fleet: Fleet, mask: BoolArray) -> float:
    """Advance the simulation just past the last watched departure; the simulated seconds it ran."""
    if not mask.any():
        return 0.0
    last_ts = float(fleet.departure_ts[mask].max())
    seconds = max(0.0, last_ts + 1.0 - gateway.now().timestamp())
    gateway.advance(seconds)
    return seconds


def check(gateway: FleetTruth, fleet: Fleet, mask: BoolArray) -> DepartureCheck:
    """Who of the watched EVs has left, and who of them left below departure_soc."""
    now_ts = gateway.now().timestamp()
    left = mask & (fleet.departure_ts <= now_ts)
    short = left & (gateway.soc < fleet.departure_soc - DEPARTURE_SOC_TOLERANCE)
    last = float(fleet.departure_ts[mask].max()) if mask.any() else math.nan
    return DepartureCheck(
        watched=int(mask.sum()),
        departed=int(left.sum()),
        violations=tuple(fleet.ids[i] for i in np.flatnonzero(short)),
        last_departure=None if math.isnan(last) else datetime.fromtimestamp(last, UTC),
        satisfaction=tuple(float(v) for v in user_satisfaction(gateway.soc[left], fleet.departure_soc[left])),
    )


def run_and_check(gateway: SimulatedFleet, fleet: Fleet, progress: Progress) -> DepartureCheck:
    """Run the simulated fleet past the last departure, then check; one progress line says what it found."""
    mask = watched(fleet)
    seconds = run_past_departures(gateway, fleet, mask)
    found = check(gateway, fleet, mask)
    progress(
        f"ran the fleet {seconds / 3600:.1f} simulated hours on (unmanaged) past the last departure: "
        f"{found.departed} of {found.watched} EVs left, {len(found.violations)} below departure SOC"
    )
    return found


def twin(gateway: SimulatedFleet) -> SimulatedFleet:
    """A copy of the simulated fleet as it is now (SOC, plug state; unmanaged from here on, same physics)
    to run on past the departures, so that the live one keeps running (`ven demo --serve`)."""
    gateway.sync()
    return SimulatedFleet(gateway.snapshot(), ManualClock(gateway.now()))
