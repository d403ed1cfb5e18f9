"""When each EV is plugged in over a window: its stays, from the fleet's state now and its routine.

An EV plugged in now stays until its departure (its routine's current one, else its `departure`); an EV
with a routine that knows when it plugs back in (`plug_in`) comes back then, with `plug_in_soc` when
known, and leaves again at its next departure. An EV without a routine that is not plugged in now, or a
routine without `plug_in`, is not expected back within the window. The flexibility forecast and the
"every EV away" unavailability windows build on this.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ven.model.fleet import Fleet, IntArray
    from ven.model.routine import Routine


@dataclass(frozen=True, slots=True)
class Stay:
    """EV `ev` (its index in the fleet) plugged in from `start` until `end` (None: beyond the window).
    `soc`: its SOC on arrival when known; None for an EV already in (its SOC now) or one whose routine
    does not say (it comes back with the SOC it left with)."""

    ev: int
    start: datetime
    end: datetime | None
    soc: float | None = None


def stays(fleet: Fleet, since: datetime, until: datetime) -> list[Stay]:
    """Every stay overlapping [since, until), EV by EV, in time order per EV. Read from the fleet's
    columns and routine groups, never its records (a measured fleet of 10,000 EVs writes those out only
    when asked)."""
    found: list[Stay] = []
    for members, timeline in _routine_groups(fleet, since, until):
        found.extend(replace(stay, ev=i) for i in members.tolist() for stay in timeline)
    alone = _alone(fleet, since)
    until_ts = until.timestamp()
    for i, departure_ts in zip(alone.tolist(), fleet.departure_ts[alone].tolist(), strict=True):
        end = None if departure_ts >= until_ts else datetime.fromtimestamp(departure_ts, UTC)
        found.append(Stay(i, since, end))
    found.sort(key=lambda stay: stay.ev)  # stable: each EV's stays stay in time order
    return found


def occupied(fleet: Fleet, since: datetime, until: datetime) -> list[tuple[datetime, datetime | None]]:
    """The spans within [since, until) in which some EV is plugged in, as (start, end or None: beyond
    `until`), unmerged; what stays() gives, without one record per EV (the "every EV away" windows are
    figured every poll)."""
    spans: list[tuple[datetime, datetime | None]] = []
    for _, timeline in _routine_groups(fleet, since, until):
        spans.extend((stay.start, stay.end) for stay in timeline)
    alone = _alone(fleet, since)
    if alone.size:
        last_ts = float(fleet.departure_ts[alone].max())
        spans.append((since, None if last_ts >= until.timestamp() else datetime.fromtimestamp(last_ts, UTC)))
    return spans


def _routine_groups(fleet: Fleet, since: datetime, until: datetime) -> list[tuple[IntArray, list[Stay]]]:
    """The EVs on a routine, grouped by their stays (index -1 in them): each routine's EVs plugged in
    at `since`, and those away then."""
    groups: list[tuple[IntArray, list[Stay]]] = []
    for routine, members in fleet.routines:
        for plugged in (True, False):
            group = members[fleet.plugged_in[members] == plugged]
            if group.size:
                groups.append((group, _routine_stays(routine, plugged, since, until)))
    return groups


def _alone(fleet: Fleet, since: datetime) -> IntArray:
    """The EVs without a routine plugged in at `since` and staying beyond it."""
    on_routine = np.zeros(len(fleet), dtype=bool)
    for _, members in fleet.routines:
        on_routine[members] = True
    return np.flatnonzero(~on_routine & fleet.plugged_in & (fleet.departure_ts > since.timestamp()))


def _routine_stays(routine: Routine, plugged_in: bool, since: datetime, until: datetime) -> list[Stay]:
    """The stays of an EV on `routine` (index -1: the caller sets it), plugged in at `since` or not."""
    out: list[Stay] = []
    if plugged_in:
        leave = routine.current_departure(since)
        if leave > since:
            out.append(Stay(-1, since, _within(leave, until)))
        back = routine.back_after(leave)
    else:
        back = routine.next_plug_in(since)
    while back is not None and back < until:
        leave = routine.next_departure(back)
        out.append(Stay(-1, back, _within(leave, until), routine.plug_in_soc))
        back = routine.back_after(leave)
    return out


def _within(when: datetime | None, until: datetime) -> datetime | None:
    return when if when is not None and when < until else None
