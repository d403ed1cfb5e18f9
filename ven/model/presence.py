"""When each EV is plugged in over a window: its stays, from the fleet's state now and its routine.

An EV plugged in now stays until its departure (its routine's current one, else its `departure`); an EV
with a routine that knows when it plugs back in (`plug_in`) comes back then, with `plug_in_soc` when
known, and leaves again at its next departure. An EV without a routine that is not plugged in now, or a
routine without `plug_in`, is not expected back within the window. The flexibility forecast and the
"every EV away" unavailability windows build on this.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ven.model.fleet import EV, Fleet
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
    """Every stay overlapping [since, until), EV by EV, in time order per EV."""
    found: list[Stay] = []
    shared: dict[tuple[Routine, bool], list[Stay]] = {}  # EVs on one routine share its timeline
    for i, ev in enumerate(fleet.evs):
        if ev.routine is None:
            found.extend(_ev_stays(i, ev, since, until))
            continue
        key = (ev.routine, ev.plugged_in)
        if key not in shared:
            shared[key] = _ev_stays(i, ev, since, until)
        found.extend(replace(stay, ev=i) for stay in shared[key])
    return found


def _ev_stays(i: int, ev: EV, since: datetime, until: datetime) -> list[Stay]:
    routine = ev.routine
    if routine is None:
        if not ev.plugged_in or (ev.departure is not None and ev.departure <= since):
            return []
        return [Stay(i, since, _within(ev.departure, until))]
    out: list[Stay] = []
    if ev.plugged_in:
        leave = routine.current_departure(since)
        if leave > since:
            out.append(Stay(i, since, _within(leave, until)))
        back = routine.back_after(leave)
    else:
        back = routine.next_plug_in(since)
    while back is not None and back < until:
        leave = routine.next_departure(back)
        out.append(Stay(i, back, _within(leave, until), routine.plug_in_soc))
        back = routine.back_after(leave)
    return out


def _within(when: datetime | None, until: datetime) -> datetime | None:
    return when if when is not None and when < until else None
