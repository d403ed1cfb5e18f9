"""Seeded random fleets shaped like a mixed V2X programme (buses, municipal vans, home cars)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from ven.model.fleet import EV, Fleet
from ven.model.horizon import Horizon
from ven.model.request import Request

T0 = datetime(2026, 7, 14, 20, 0, tzinfo=UTC)
# (capacity kWh, charge kW, discharge kW, share): buses, vans, V2G cars, V1G cars.
KINDS = (
    (226.0, 60.0, 60.0, 0.15),
    (90.0, 19.2, 11.5, 0.15),
    (80.0, 11.5, 11.5, 0.35),
    (70.0, 11.5, 0.0, 0.35),
)


def make_fleet(count: int, seed: int = 1, tight: bool = False) -> Fleet:
    """The mixed fleet; `tight`: an evening depot where most EVs leave within the event, needing 0.9."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(len(KINDS), size=count, p=[k[3] for k in KINDS])
    soc = rng.uniform(0.2, 0.9, count) if tight else rng.uniform(0.3, 0.9, count)
    departs = rng.uniform(0.5, 8.0, count) if tight else rng.uniform(1.0, 14.0, count)
    stays = rng.random(count) < 0.2
    evs = []
    for i in range(count):
        capacity, charge, discharge, _ = KINDS[kind[i]]
        evs.append(
            EV(
                ev_id=f"ev{i}",
                site=f"site{i % 40}",
                capacity_kwh=capacity,
                soc=float(soc[i]),
                max_charge_kw=charge,
                max_discharge_kw=discharge,
                departure=None if stays[i] else T0 + timedelta(hours=float(departs[i])),
                departure_soc=0.9 if tight else 0.8,
                plugged_in=bool(rng.random() < 0.95),
                priority=int(rng.integers(0, 3)),
            )
        )
    return Fleet(tuple(evs))


def make_request(fleet: Fleet, intervals: int = 12, share: float = 0.5) -> Request:
    """A reduction of `share` of the fleet's nominal charge + discharge power, every interval."""
    horizon = Horizon.uniform(T0, timedelta(minutes=15), intervals)
    nominal_kw = float(fleet.max_charge_kw.sum() + fleet.max_discharge_kw.sum())
    return Request.reduce(horizon, share * nominal_kw)
