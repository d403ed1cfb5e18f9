"""The rest of an event from now, as a Request: the remaining part of the current interval, then the rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from ven.events.signals import event_horizon, event_request
from ven.feasibility.envelope import Envelope
from ven.feasibility.flexibility import flexibility
from ven.model.horizon import Horizon
from ven.model.request import Request

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ven.dispatch.baseline import Baselines
    from ven.events.model import DrEvent
    from ven.model.fleet import BoolArray, Fleet, FloatArray

# A remainder shorter than this is not worth planning: the next interval starts almost at once.
MIN_REMAINDER = timedelta(milliseconds=200)


@dataclass(frozen=True)
class Remaining:
    """`request` covers event intervals `first_index` .. end; its interval 0 may be a partial one."""

    request: Request  # what the plan must deliver: the event's request less what EVs outside it give
    first_index: int
    baseline_kw: FloatArray  # (N, K) the event's frozen baseline of the planned EVs over the horizon
    requested_kw: FloatArray  # (K,) the event's own requested reduction
    outside_baseline_kw: FloatArray  # (K,) frozen baseline of EVs plugged in but outside the plan
    leaving_kw: FloatArray  # (N,) charge for EVs leaving before interval 0 ends (outside the plan)

    @property
    def requested_now_kw(self) -> float:
        return float(self.requested_kw[0])


def remaining_request(
    event: DrEvent,
    offset: timedelta,
    fleet: Fleet,
    now: datetime,
    *,
    simple_levels: Mapping[int, float],
    margin: float,
    baselines: Baselines,
    outside: BoolArray | None = None,
    outside_draw_kw: float = 0.0,
) -> Remaining | None:
    """The event's request from `now` on for `fleet` (a snapshot now); None when nothing is left.

    Every figure is against the event's frozen baseline (ven.dispatch.baseline), not one recomputed now.
    `outside`: EVs still plugged in that the plan cannot command (a charger that faulted, went offline or
    refused setpoints); together they draw `outside_draw_kw` as measured, and whatever reduction they give
    or fail to give against their baseline, the planned EVs make up.
    """
    full = event_horizon(event, offset)
    now_ts = now.timestamp()
    current = int(np.searchsorted(full.end_ts, now_ts, side="right"))
    if current < len(full) and full.end_ts[current] - now_ts < MIN_REMAINDER.total_seconds():
        current += 1
    if current >= len(full):
        return None
    first_start = max(now, full.interval_start(current))
    first = full.interval_end(current) - first_start
    horizon = Horizon(first_start, (first, *full.durations[current + 1 :]))
    frozen = baselines.for_event(event.event_id, full, fleet, now)[:, current:]
    outside = np.zeros(len(fleet), dtype=bool) if outside is None else outside
    # EVs that left drop out of the baseline: they would have left without the event too.
    planned = np.where(fleet.plugged_in[:, None], frozen, 0.0)
    outside_baseline = np.where(outside[:, None], frozen, 0.0).sum(axis=0)
    envelope = Envelope(fleet, horizon, planned)
    baseline = envelope.baseline_kw.sum(axis=0) + outside_baseline
    pad = np.zeros(current)
    whole = event_request(
        event,
        baseline_kw=np.concatenate([pad, baseline]),
        available_reduction_kw=np.concatenate([pad, flexibility(envelope).available_reduction_kw]),
        simple_levels=simple_levels,
        margin=margin,
        offset=offset,
    )
    price = whole.price[current:] if len(whole.price) else whole.price
    requested = whole.reduction_kw[current:]
    leaving = leaving_kw(fleet, horizon, now)
    from_outside = outside_baseline - outside_draw_kw
    from_outside[0] -= leaving.sum()  # they charge with no baseline left: the others make up for it
    request = Request(horizon, requested - from_outside, margin, price)
    return Remaining(request, current, planned, requested, outside_baseline, leaving)


def leaving_kw(fleet: Fleet, horizon: Horizon, now: datetime) -> FloatArray:
    """Charge for EVs that leave before the first interval ends: enough to reach departure_soc.

    The plan gives them 0 from their partial last interval on (CONTRACT.md availability), while their
    departure constraint assumed they could charge at full rate from its start: so they get exactly that
    chance, at the rate that reaches departure_soc by departure (at most max_charge_kw).
    """
    leaving = (
        fleet.plugged_in & (fleet.departure_ts < horizon.end_ts[0]) & (fleet.departure_ts > now.timestamp())
    )
    hours = np.maximum(np.where(leaving, fleet.departure_ts - now.timestamp(), 1.0), 1.0) / 3600.0
    needed_kwh = np.maximum(fleet.departure_soc * fleet.capacity_kwh - fleet.energy_kwh, 0.0)
    rate: FloatArray = np.where(
        leaving, np.minimum(needed_kwh / (fleet.efficiency * hours), fleet.max_charge_kw), 0.0
    )
    return rate
