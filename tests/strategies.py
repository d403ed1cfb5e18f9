"""Hypothesis strategies for random fleets and requests, shared by the property tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from ven.model.fleet import EV, Fleet
from ven.model.horizon import Horizon
from ven.model.request import Request

T0 = datetime(2026, 7, 14, 20, 0, tzinfo=UTC)


@st.composite
def evs(draw: st.DrawFn, index: int, v2g: bool = True) -> EV:
    capacity = draw(st.floats(10, 250, allow_subnormal=False))
    min_soc = draw(st.floats(0.0, 0.5, allow_subnormal=False))
    departure_soc = draw(st.floats(min_soc, 1.0, allow_subnormal=False))
    departs = draw(st.one_of(st.none(), st.floats(0.05, 12.0, allow_subnormal=False)))
    return EV(
        ev_id=f"ev{index}",
        site=draw(st.sampled_from(["depot", "home", "town-hall"])),
        capacity_kwh=capacity,
        soc=draw(st.floats(0.0, 1.0, allow_subnormal=False)),
        max_charge_kw=draw(st.floats(0.0, 80.0, allow_subnormal=False)),
        max_discharge_kw=draw(st.floats(0.0, 80.0, allow_subnormal=False))
        if v2g and draw(st.booleans())
        else 0.0,
        min_soc=min_soc,
        target_soc=draw(st.floats(0.0, 1.0, allow_subnormal=False)),
        departure=None if departs is None else T0 + timedelta(hours=departs),
        departure_soc=departure_soc,
        efficiency=draw(st.floats(0.8, 1.0, allow_subnormal=False)),
        plugged_in=draw(st.integers(0, 9)) != 0,
        priority=draw(st.integers(0, 2)),
    )


@st.composite
def fleets(draw: st.DrawFn, max_evs: int = 8, v2g: bool = True) -> Fleet:
    count = draw(st.integers(1, max_evs))
    return Fleet(tuple(draw(evs(i, v2g)) for i in range(count)))


@st.composite
def horizons(draw: st.DrawFn, max_intervals: int = 8) -> Horizon:
    minutes = draw(st.lists(st.sampled_from([5, 15, 30, 60]), min_size=1, max_size=max_intervals))
    return Horizon(T0, tuple(timedelta(minutes=m) for m in minutes))


@st.composite
def requests(draw: st.DrawFn, horizon: Horizon, scale_kw: float, reduce_only: bool = False) -> Request:
    low = 0.0 if reduce_only else -scale_kw
    values = draw(
        st.lists(
            st.floats(low, scale_kw, allow_subnormal=False), min_size=len(horizon), max_size=len(horizon)
        )
    )
    return Request(horizon, values, margin=draw(st.sampled_from([0.0, 0.05, 0.2])))
