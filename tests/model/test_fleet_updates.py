"""Fleet's fast updates (with_state, with_departures) equal a fleet rebuilt anew."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import fleets
from ven.model.fleet import Fleet


def assert_same(fast: Fleet, rebuilt: Fleet) -> None:
    assert fast.evs == rebuilt.evs
    for column in (f.name for f in fields(Fleet) if not f.init):
        np.testing.assert_array_equal(getattr(fast, column), getattr(rebuilt, column), err_msg=column)
        assert not getattr(fast, column).flags.writeable, column


@settings(max_examples=60, deadline=None)
@given(fleet=fleets(), data=st.data())
def test_with_state_equals_a_rebuilt_fleet(fleet: Fleet, data: st.DataObject):
    """Measured SOC and plug state land in both the records and the columns, exactly as a rebuild would."""
    size = len(fleet)
    soc = data.draw(st.lists(st.floats(0.0, 1.0), min_size=size, max_size=size))
    plugged = data.draw(st.lists(st.booleans(), min_size=size, max_size=size))
    rebuilt = Fleet(
        tuple(replace(ev, soc=s, plugged_in=p) for ev, s, p in zip(fleet.evs, soc, plugged, strict=True))
    )
    assert_same(fleet.with_state(soc=soc, plugged_in=plugged), rebuilt)
    only_soc = Fleet(tuple(replace(ev, soc=s) for ev, s in zip(fleet.evs, soc, strict=True)))
    assert_same(fleet.with_state(soc=np.array(soc)), only_soc)
    assert fleet.with_state() is fleet


@settings(max_examples=60, deadline=None)
@given(fleet=fleets(), data=st.data())
def test_with_departures_equals_a_rebuilt_fleet(fleet: Fleet, data: st.DataObject):
    """Some EVs' departures replaced (or removed): only those change."""
    indices = data.draw(st.lists(st.integers(0, len(fleet) - 1), unique=True, max_size=len(fleet)))
    when = datetime(2026, 7, 14, 18, tzinfo=UTC)
    changes = {i: None if i % 2 else when + timedelta(minutes=5 * i) for i in indices}
    rebuilt = Fleet(
        tuple(replace(ev, departure=changes[i]) if i in changes else ev for i, ev in enumerate(fleet.evs))
    )
    assert_same(fleet.with_departures(changes), rebuilt)
