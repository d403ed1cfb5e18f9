"""The fleet's flexibility over the next hours: what it could shed or export, step by step.

Who is plugged in when comes from each EV's stays (ven.model.presence: the state now, departures,
routines and their plug-in times); what each stay could give comes from ven.feasibility.flexibility, the
one definition of available reduction, along the stay's baseline trajectory. An EV coming back without a
known `plug_in_soc` returns with the SOC its baseline charging left it with. `held` (EV × step) marks
EVs the fleet may not use in a step (unavailability windows, owner overrides): they contribute nothing
there, while their unmanaged charging still moves their SOC on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from ven.feasibility.envelope import Envelope
from ven.feasibility.flexibility import flexibility
from ven.model.fleet import Fleet, changed
from ven.model.horizon import Horizon
from ven.model.presence import Stay, stays

if TYPE_CHECKING:
    from ven.model.fleet import EV, BoolArray, FloatArray

STEP = timedelta(minutes=15)
STEPS = 96  # 24 h


@dataclass(frozen=True)
class Forecast:
    """Fleet totals per step of `horizon`: kW for power, kWh at the step's start for energy."""

    horizon: Horizon
    baseline_kw: FloatArray
    available_reduction_kw: FloatArray  # V2G export included
    available_curtailment_kw: FloatArray  # curtailment only
    energy_above_reserve_kwh: FloatArray

    def step_bounds(self) -> list[tuple[datetime, datetime]]:
        return list(self.horizon.bounds())


def floor_to_step(when: datetime, step: timedelta = STEP) -> datetime:
    """`when` rounded down to a multiple of `step` since the epoch (15 min: the quarter hour)."""
    seconds = step.total_seconds()
    return datetime.fromtimestamp((when.timestamp() // seconds) * seconds, when.tzinfo)


def forecast(
    fleet: Fleet,
    start: datetime,
    *,
    steps: int = STEPS,
    step: timedelta = STEP,
    held: BoolArray | None = None,
) -> Forecast:
    """The forecast from `start` (taken as given; see floor_to_step) for `fleet` as it is at `start`."""
    horizon = Horizon.uniform(start, step, steps)
    size = (len(fleet), steps)
    if held is not None and held.shape != size:
        raise ValueError(f"held has shape {held.shape}, expected {size}")
    totals = np.zeros((4, steps))  # baseline, reduction, curtailment, energy above reserve
    arrival: dict[int, float] = {}  # stay position -> SOC on arrival
    left_with: dict[int, float] = {}  # EV -> SOC its last stay ended with
    found = sorted(stays(fleet, start, horizon.end), key=lambda s: s.start)
    first_step = [_first_full_step(s, horizon) for s in found]
    for k0 in sorted(set(first_step)):
        group = [n for n, k in enumerate(first_step) if k == k0]
        for n in group:
            stay = found[n]
            arrival[n] = _arrival_soc(stay, fleet, left_with)
            left_with[stay.ev] = arrival[n]  # until its charging is known (below)
        if k0 >= steps:
            continue
        part = Horizon(horizon.interval_start(k0), horizon.durations[k0:])
        group_fleet = Fleet(tuple(_as_plugged(fleet, found[n], arrival[n]) for n in group))
        envelope = Envelope(group_fleet, part)
        flex = flexibility(envelope)
        usable = np.ones((len(group), steps - k0), dtype=bool)
        if held is not None:
            usable = ~held[[found[n].ev for n in group], k0:]
        totals[0, k0:] += flex.baseline_kw.sum(axis=0)
        totals[1, k0:] += np.where(usable, flex.reduction_kw, 0.0).sum(axis=0)
        totals[2, k0:] += np.where(usable, flex.curtailment_kw, 0.0).sum(axis=0)
        totals[3, k0:] += np.where(usable, flex.energy_above_reserve_kwh, 0.0).sum(axis=0)
        charged = envelope.baseline_kw * part.duration_h[None, :] * group_fleet.efficiency[:, None]
        end_soc = (group_fleet.energy_kwh + charged.sum(axis=1)) / group_fleet.capacity_kwh
        for position, n in enumerate(group):
            left_with[found[n].ev] = float(min(end_soc[position], 1.0))
    for row in totals:
        row.setflags(write=False)
    return Forecast(horizon, totals[0], totals[1], totals[2], totals[3])


def _first_full_step(stay: Stay, horizon: Horizon) -> int:
    """The first step the EV is plugged in for from its start (available only for whole steps)."""
    return int(np.searchsorted(horizon.start_ts, stay.start.timestamp(), side="left"))


def _arrival_soc(stay: Stay, fleet: Fleet, left_with: dict[int, float]) -> float:
    if stay.soc is not None:
        return stay.soc
    return left_with.get(stay.ev, float(fleet.soc[stay.ev]))


def _as_plugged(fleet: Fleet, stay: Stay, soc: float) -> EV:
    """The stay as an EV plugged in at its start, leaving at its end (None: beyond the horizon)."""
    return changed(fleet.evs[stay.ev], soc=soc, plugged_in=True, departure=stay.end, routine=None)
