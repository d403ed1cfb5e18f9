"""What the fleet offers over the next 24 h: the flexibility forecast with unavailability taken out
(configured windows and owner overrides hold EVs; they offer nothing in those steps)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ven.feasibility.forecast import STEP, STEPS, Forecast, forecast
from ven.model.horizon import Horizon

if TYPE_CHECKING:
    from ven.availability.overrides import Override
    from ven.availability.unavailability import Unavailability
    from ven.model.fleet import Fleet


def offered(
    fleet: Fleet,
    start: datetime,
    unavailability: Unavailability | None = None,
    overrides: Sequence[Override] = (),
    steps: int = STEPS,
) -> Forecast:
    """The forecast from `start` for `fleet` as it is then, less what unavailability holds back."""
    if unavailability is None:
        return forecast(fleet, start, steps=steps)
    horizon = Horizon.uniform(start, STEP, steps)
    held = unavailability.held_mask([ev.site for ev in fleet.evs], horizon, overrides)
    return forecast(fleet, start, steps=steps, held=held)
