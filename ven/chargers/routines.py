"""Plug events that follow each EV's routine: it comes back at its `plug_in` time with `plug_in_soc`.

Leaving needs no event (an EV leaves at its departure time); each return sets the next departure.
Generated a window at a time, so a simulated fleet can run for as many days as it is asked to.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ven.chargers.schedule import PlugEvent
from ven.model.fleet import Fleet
from ven.model.routine import Routine


def returns_in(fleet: Fleet, start: datetime, end: datetime) -> list[PlugEvent]:
    """Arrivals after the trips that begin in [start, end), for every EV with a routine and a `plug_in`."""
    return [
        _arrival(ev.ev_id, ev.routine, trip.back)
        for ev in fleet.evs
        if ev.routine is not None
        for trip in ev.routine.trips(start, end)
        if trip.back is not None
    ]


def first_returns(fleet: Fleet, now: datetime) -> list[PlugEvent]:
    """Arrivals of the EVs away at `now` (not plugged in) whose routine says when they come back."""
    return [
        _arrival(ev.ev_id, ev.routine, back)
        for ev in fleet.evs
        if not ev.plugged_in and ev.routine is not None and (back := ev.routine.next_plug_in(now)) is not None
    ]


def _arrival(ev_id: str, routine: Routine, back: datetime) -> PlugEvent:
    departure = routine.next_departure(back).astimezone(UTC)
    return PlugEvent(
        back.astimezone(UTC), ev_id, plugged_in=True, soc=routine.plug_in_soc, departure=departure
    )
