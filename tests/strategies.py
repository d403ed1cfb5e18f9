"""Hypothesis strategies for random fleets and requests, shared by the property tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
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


@dataclass(frozen=True)
class Scenario:
    """A generated fleet and request; its repr is the knobs that made it (hundreds of EVs would print
    as ~100 kB, which hypothesis refuses to report)."""

    fleet: Fleet
    request: Request
    knobs: str

    def __repr__(self) -> str:
        return f"Scenario({self.knobs})"


@st.composite
def programme_scenarios(draw: st.DrawFn, max_evs: int = 300) -> Scenario:
    """A programme-sized fleet and request: tight departures, mixed V1G/V2G, reserves, EVs that cannot
    make their departure, unplugged EVs, ragged intervals, load-up intervals.

    Hypothesis draws the knobs; a seeded generator draws the EVs (hundreds of EVs stay cheap to draw).
    Half the fleets convert at 0.92 throughout (as most real fleets do), the others mix efficiencies.
    """
    count = draw(st.integers(1, max_evs))
    seed = draw(st.integers(0, 2**32 - 1))
    v2g_share = draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))
    tight_share = draw(st.sampled_from([0.0, 0.5, 1.0]))  # departures inside the horizon, high need
    hopeless_share = draw(st.sampled_from([0.0, 0.05, 0.2]))
    same_efficiency = draw(st.booleans())
    minutes = draw(st.lists(st.sampled_from([5, 10, 15, 30, 60]), min_size=1, max_size=12))
    horizon = Horizon(T0, tuple(timedelta(minutes=m) for m in minutes))
    length_h = float(horizon.duration_h.sum())
    rng = np.random.default_rng(seed)
    capacity = rng.choice([20.0, 40.0, 60.0, 80.0, 90.0, 226.0], count) * rng.uniform(0.9, 1.1, count)
    charge = np.minimum(rng.choice([3.7, 7.4, 11.5, 19.2, 60.0, 150.0], count), capacity * 1.5)
    v2g = rng.random(count) < v2g_share
    min_soc = rng.choice([0.0, 0.1, 0.2, 0.3, 0.5], count)
    soc = rng.uniform(0.0, 1.0, count)
    tight = rng.random(count) < tight_share
    hopeless = rng.random(count) < hopeless_share
    departs_h = np.where(
        tight, rng.uniform(0.0, 1.2, count) * length_h, rng.uniform(0.5, 3.0, count) * length_h + 0.1
    )
    departure_soc = np.where(tight, rng.uniform(0.6, 1.0, count), rng.uniform(0.3, 0.9, count))
    soc = np.where(hopeless, rng.uniform(0.0, 0.2, count), soc)
    departs_h = np.where(hopeless, rng.uniform(0.05, 0.5, count) * length_h, departs_h)
    departure_soc = np.where(hopeless, 1.0, departure_soc)
    stays = rng.random(count) < 0.15
    efficiency = np.full(count, 0.92) if same_efficiency else rng.uniform(0.85, 0.97, count)
    fleet = Fleet(
        tuple(
            EV(
                ev_id=f"ev{i}",
                site=f"site{i % 7}",
                capacity_kwh=float(capacity[i]),
                soc=float(soc[i]),
                max_charge_kw=float(charge[i]),
                max_discharge_kw=float(charge[i] * rng.choice([0.5, 1.0])) if v2g[i] else 0.0,
                min_soc=float(min_soc[i]),
                target_soc=float(rng.choice([0.8, 0.9, 1.0])),
                departure=None if stays[i] else T0 + timedelta(hours=float(departs_h[i])),
                departure_soc=float(departure_soc[i]),
                efficiency=float(efficiency[i]),
                plugged_in=bool(rng.random() < 0.95),
            )
            for i in range(count)
        )
    )
    nominal_kw = float(fleet.max_charge_kw.sum() + fleet.max_discharge_kw.sum())
    shares = draw(
        st.lists(st.floats(-0.3, 1.0, allow_subnormal=False), min_size=len(minutes), max_size=len(minutes))
    )
    margin = draw(st.sampled_from([0.0, 0.05, 0.2]))
    knobs = (
        f"count={count}, seed={seed}, v2g_share={v2g_share}, tight_share={tight_share}, "
        f"hopeless_share={hopeless_share}, same_efficiency={same_efficiency}, minutes={minutes}, "
        f"shares={shares}, margin={margin}"
    )
    return Scenario(fleet, Request(horizon, [share * nominal_kw for share in shares], margin=margin), knobs)
