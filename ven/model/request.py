"""What the utility asks of the fleet, per interval, as a signed requested reduction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ven.model.fleet import FloatArray
from ven.model.horizon import Horizon

DEFAULT_MARGIN = 0.05


@dataclass(frozen=True)
class Request:
    """A requested reduction per interval, kW: positive = shed load, negative = take more (load up).

    Every signal type (delta, setpoint, level, capacity) is converted to this one form before a policy
    sees it, because all of them mean "this much less than the baseline".
    `margin`: deliver at most requested * (1 + margin) where the fleet can help it.
    `price` is informational for price-aware policies (same length as the horizon, or empty).
    """

    horizon: Horizon
    reduction_kw: FloatArray
    margin: float = DEFAULT_MARGIN
    price: FloatArray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        reduction = np.asarray(self.reduction_kw, dtype=np.float64).copy()
        if reduction.shape != (len(self.horizon),):
            raise ValueError(f"expected {len(self.horizon)} requested values, got {reduction.shape[0]}")
        if not np.all(np.isfinite(reduction)):
            raise ValueError("requested reduction must be finite")
        if self.margin < 0:
            raise ValueError("margin must not be negative")
        reduction.setflags(write=False)
        object.__setattr__(self, "reduction_kw", reduction)
        price = np.asarray(self.price, dtype=np.float64).copy()
        price.setflags(write=False)
        object.__setattr__(self, "price", price)

    @classmethod
    def reduce(
        cls, horizon: Horizon, reduction_kw: float | Sequence[float], margin: float = DEFAULT_MARGIN
    ) -> Request:
        """A reduction request: one value for every interval or one value per interval."""
        values = np.broadcast_to(np.asarray(reduction_kw, dtype=np.float64), (len(horizon),))
        return cls(horizon, values.copy(), margin)

    @classmethod
    def setpoint(
        cls,
        horizon: Horizon,
        baseline_kw: FloatArray,
        setpoint_kw: float | Sequence[float],
        margin: float = DEFAULT_MARGIN,
    ) -> Request:
        """A fleet net-power target per interval, given the fleet baseline (kW per interval)."""
        target = np.broadcast_to(np.asarray(setpoint_kw, dtype=np.float64), (len(horizon),))
        return cls(horizon, np.asarray(baseline_kw, dtype=np.float64) - target, margin)
