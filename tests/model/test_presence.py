"""Stays and the spans some EV is plugged in: from the fleet's columns and routines, measured or not."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ven.availability.windows import Window, merged
from ven.model.fleet import EV, Fleet
from ven.model.presence import occupied, stays
from ven.model.routine import Routine

BOSTON = ZoneInfo("America/New_York")
ROUTINES = (
    Routine(BOSTON, time(6, 15), frozenset(range(5)), time(16, 0), 0.55),
    Routine(BOSTON, time(22, 0), plug_in=time(6, 0)),
    Routine(BOSTON, time(7, 45)),
)
BASE = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)


@st.composite
def fleets(draw: st.DrawFn) -> Fleet:
    evs = tuple(
        EV(
            f"ev-{i}",
            "site",
            60.0,
            0.5,
            7.0,
            plugged_in=draw(st.booleans()),
            departure=draw(st.none() | st.integers(-600, 4000).map(lambda m: BASE + timedelta(minutes=m))),
            routine=draw(st.none() | st.sampled_from(ROUTINES)),
        )
        for i in range(draw(st.integers(0, 10)))
    )
    fleet = Fleet(evs)
    if evs and draw(st.booleans()):  # as measured: a new plug state, the records not written out
        plugged = draw(st.lists(st.booleans(), min_size=len(evs), max_size=len(evs)))
        fleet = fleet.with_state(plugged_in=np.array(plugged))
    return fleet


def _union(spans: list[tuple[datetime, datetime | None]], until: datetime) -> list[tuple[float, float]]:
    windows = [Window(start, end or until) for start, end in spans if (end or until) > start]
    return [(w.start.timestamp(), w.end.timestamp()) for w in merged(windows)]


@settings(max_examples=150, deadline=None)
@given(fleets(), st.integers(0, 2000), st.integers(1, 100))
def test_the_occupied_spans_cover_exactly_the_stays(fleet: Fleet, offset_min: int, hours: int) -> None:
    """Whatever the fleet (routines or announced departures, plugged in or away, measured or not), the
    spans occupied() gives cover exactly what the EVs' stays cover; each stay is within the window and
    belongs to an EV plugged in then or on a routine that brings it back."""
    since = BASE + timedelta(minutes=offset_min)
    until = since + timedelta(hours=hours)
    found = stays(fleet, since, until)
    assert _union(occupied(fleet, since, until), until) == _union([(s.start, s.end) for s in found], until)
    assert [s.ev for s in found] == sorted(s.ev for s in found)
    for stay in found:
        assert since <= stay.start < until
        assert stay.end is None or stay.start < stay.end < until
        on_routine = any(stay.ev in members for _, members in fleet.routines)
        assert on_routine or (bool(fleet.plugged_in[stay.ev]) and stay.start == since)


def test_an_ev_without_a_routine_stays_until_its_announced_departure() -> None:
    """Plugged in without a routine: one stay from now to its departure; away: none; gone: none."""
    leave = BASE + timedelta(hours=5)
    fleet = Fleet(
        (
            EV("in", "a", 60.0, 0.5, 7.0, departure=leave),
            EV("away", "a", 60.0, 0.5, 7.0, plugged_in=False, departure=leave),
            EV("gone", "a", 60.0, 0.5, 7.0, departure=BASE - timedelta(hours=1)),
        )
    )
    found = stays(fleet, BASE, BASE + timedelta(days=1))
    assert [(s.ev, s.start, s.end) for s in found] == [(0, BASE, leave)]
    assert occupied(fleet, BASE, BASE + timedelta(days=1)) == [(BASE, leave)]
