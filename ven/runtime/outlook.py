"""The opt decision for future events the fleet as it is now cannot show: decided on the forecast.

The plan-based decision sees the fleet as it is: who is plugged in now and when they leave. An event
after some EV comes back (a routine's plug-in) would look undeliverable to it. For such an event the
flexibility forecast (who is in when, with what SOC; unavailability windows and owner overrides taken
out) gives, per event interval, the baseline and the available reduction (its lowest step: the whole
interval must be deliverable); the request is measured against that with the same rule as the plan's
(ven.events.opt.decide: the share of the requested energy against `opt_in_share`). Events starting now,
or with nobody arriving before their end, are left to the plan (None).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ven.availability.offer import offered
from ven.events import Answer, Outlook
from ven.events.model import EventRejectedError
from ven.events.opt import TOLERANCE
from ven.events.signals import event_horizon, event_request
from ven.feasibility.forecast import STEP, floor_to_step
from ven.model.presence import stays
from ven.storage import FLEET_RESOURCE
from ven.telemetry.series import Point, Quantity

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ven.clock import Clock
    from ven.events import EventView
    from ven.feasibility.forecast import Forecast
    from ven.model.fleet import Fleet, FloatArray
    from ven.model.horizon import Horizon
    from ven.runtime.availability import AvailabilityKeeper

MAX_STEPS = 7 * 96  # a week ahead at most


def forecast_decider(
    *,
    fleet_now: Callable[[], Fleet],
    keeper: AvailabilityKeeper,
    clock: Clock,
    simple_levels: Mapping[int, float],
    margin: float,
    share: float,
) -> Callable[[EventView], Answer | None]:
    def decider(view: EventView) -> Answer | None:
        now = clock.now()
        end = view.end
        if view.start <= now or end is None:
            return None
        fleet = fleet_now()
        if not any(s.start > now for s in stays(fleet, now, end)):
            return None  # nobody arrives before it ends: the plan sees this fleet
        try:
            horizon = event_horizon(view.event, view.offset)
            start = floor_to_step(now)
            steps = min(math.ceil((end - start) / STEP), MAX_STEPS)
            result = offered(fleet, start, keeper.unavailability, keeper.overrides, steps=steps)
            baseline, available = _per_interval(result, horizon)
            request = event_request(
                view.event,
                baseline_kw=baseline,
                available_reduction_kw=available,
                simple_levels=simple_levels,
                margin=margin,
                offset=view.offset,
            )
        except EventRejectedError:
            return None  # the plan-based path reports it with its code
        requested = np.asarray(request.reduction_kw)
        outlook = Outlook.of(requested, np.minimum(available, requested), horizon.duration_h, _usable(result))
        return _answer(outlook, share)

    return decider


def _answer(outlook: Outlook, share: float) -> Answer:
    """The plan's rule (ven.events.opt) on the forecast's figures; EventFlow logs it."""
    offered = (
        f"forecast (EVs arriving before it ends): the fleet can deliver {outlook.share:.0%} of the requested "
        f"{outlook.requested_kwh:.1f} kWh ({outlook.planned_kwh:.1f} kWh)"
    )
    if outlook.usable_evs and outlook.share + TOLERANCE >= share:
        return Answer.opt_in(f"{offered}; opt-in share {share:.0%}")
    return Answer.opt_out(f"{offered}, below the opt-in share {share:.0%}")


def _usable(result: Forecast) -> int:
    """1 when the forecast offers anything over its horizon (Outlook counts EVs; the forecast does not
    keep them apart), else 0."""
    return int(bool((result.available_reduction_kw > 0).any()))


def _per_interval(result: Forecast, horizon: Horizon) -> tuple[FloatArray, FloatArray]:
    """Each event interval's mean forecast baseline and lowest available reduction (0 beyond the
    forecast)."""
    starts, ends = result.horizon.start_ts, result.horizon.end_ts
    baseline = np.zeros(len(horizon))
    available = np.zeros(len(horizon))
    for k, (begin, finish) in enumerate(horizon.bounds()):
        steps = (ends > begin.timestamp()) & (starts < finish.timestamp())
        if steps.any() and finish.timestamp() <= ends[-1]:
            baseline[k] = float(result.baseline_kw[steps].mean())
            available[k] = float(result.available_reduction_kw[steps].min())
    return baseline, available


class ForecastCache:
    """The offered forecast, recomputed off the event loop when its first quarter hour or the owner
    overrides change (at 10,000 EVs a forecast takes about a second: too long to block the loop); the
    FLEXIBILITY_FORECAST report sends the latest one. Nothing is computed until a report first asks
    (`points`): a VTN that never requests the forecast costs none (a week ahead every quarter hour was a
    third of a season's CPU)."""

    def __init__(self, fleet_now: Callable[[], Fleet], keeper: AvailabilityKeeper, clock: Clock) -> None:
        self._fleet_now = fleet_now
        self._keeper = keeper
        self._clock = clock
        self._key: tuple[object, ...] | None = None
        self.latest: Forecast | None = None
        self.wanted = asyncio.Event()  # set by the first report that asks

    async def refresh(self) -> bool:
        """Recompute if due; True if it did."""
        start = floor_to_step(self._clock.now())
        overrides = self._keeper.overrides
        key = (start, overrides)
        if key == self._key:
            return False
        fleet = self._fleet_now()
        self.latest = await asyncio.to_thread(offered, fleet, start, self._keeper.unavailability, overrides)
        self._key = key
        return True

    def points(self, _now: object = None) -> list[Point]:
        """The latest forecast as report points (none before the first one is computed)."""
        self.wanted.set()
        result = self.latest
        if result is None:
            return []
        quantities = (
            (Quantity.AVAILABLE_REDUCTION, result.available_reduction_kw),
            (Quantity.AVAILABLE_CURTAILMENT, result.available_curtailment_kw),
            (Quantity.ENERGY_ABOVE_RESERVE, result.energy_above_reserve_kwh),
        )
        return [
            Point(start, FLEET_RESOURCE, quantity, float(values[k]), end - start)
            for k, (start, end) in enumerate(result.horizon.bounds())
            for quantity, values in quantities
        ]
