"""The `proportional` policy."""

from __future__ import annotations

from policies.stepwise import StepwisePolicy, proportional_split


class ProportionalPolicy(StepwisePolicy):
    """Each EV's share in proportion to its available headroom in the interval (curtail before export)."""

    name = "proportional"

    def __init__(self) -> None:
        super().__init__(proportional_split)
