"""The policy's opt decision: opt in when the plan delivers at least `opt_in_share` of the requested energy.

The plan is the configured policy's, verified, for the fleet as it is when the event arrives (plugged in,
online, reachable), so the share is what the VEN can stand behind, never more. Energy counts in the
request's own direction (less load for a shed, more load for a load-up) and only up to what each interval
asks: over-delivering one interval does not make up for another. A VEN with no usable EV opts out, whatever
the event asks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ven.events.answers import Answer, Opt
from ven.model.fleet import FloatArray

logger = logging.getLogger(__name__)

TOLERANCE = 1e-6  # solver round-off in the share, not a business margin
# An optIn is a promise the utility plans with: below four fifths of the ask it is better told no, so it
# can call other resources; demanding the whole ask would refuse events the fleet nearly meets (one bus
# leaving mid-event) and forgo most of their value. `[dispatch] opt_in_share` changes it (docs/events.md).
DEFAULT_OPT_IN_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class Outlook:
    """What a plan delivers toward an event's request."""

    requested_kwh: float  # energy the request asks for, in its own direction
    planned_kwh: float  # of that, what the plan delivers (capped per interval at the request)
    usable_evs: int  # EVs plugged in, online and reachable when the plan was made

    @classmethod
    def of(
        cls, requested_kw: FloatArray, delivered_kw: FloatArray, hours: FloatArray, usable_evs: int
    ) -> Outlook:
        """From per-interval requested and planned reduction (kW, signed alike) and interval lengths (h)."""
        requested = np.asarray(requested_kw, dtype=np.float64)
        delivered = np.asarray(delivered_kw, dtype=np.float64)
        if requested.shape != delivered.shape or requested.shape != np.shape(hours):
            raise ValueError(f"per-interval shapes differ: {requested.shape}, {delivered.shape}")
        direction = np.where(requested >= 0.0, 1.0, -1.0)
        toward = np.clip(delivered * direction, 0.0, np.abs(requested))
        return cls(float(np.abs(requested) @ hours), float(toward @ hours), usable_evs)

    @property
    def share(self) -> float:
        """Planned share of the requested energy (1 when nothing is requested)."""
        return 1.0 if self.requested_kwh <= 0.0 else self.planned_kwh / self.requested_kwh


def decide(event_id: str, modification_number: int, outlook: Outlook, opt_in_share: float) -> Answer:
    """optIn when the plan delivers at least `opt_in_share` of the requested energy and some EV can take
    part; optOut otherwise. The planned share is logged either way."""
    if not 0.0 <= opt_in_share <= 1.0:
        raise ValueError(f"opt_in_share must be within 0..1, got {opt_in_share}")
    answer = _answer(outlook, opt_in_share)
    log = logger.info if answer.opt is Opt.IN else logger.warning
    log("event %s modification %d: %s: %s", event_id, modification_number, answer.opt.value, answer.reason)
    return answer


def _answer(outlook: Outlook, opt_in_share: float) -> Answer:
    if outlook.usable_evs == 0:
        return Answer.opt_out("no EV is plugged in, online and reachable: nothing to deliver")
    if outlook.requested_kwh <= 0.0:
        return Answer.opt_in(f"nothing requested; {outlook.usable_evs} EVs available")
    planned = (
        f"plan delivers {outlook.share:.0%} of the requested {outlook.requested_kwh:.1f} kWh "
        f"({outlook.planned_kwh:.1f} kWh, {outlook.usable_evs} EVs)"
    )
    if outlook.share + TOLERANCE >= opt_in_share:
        return Answer.opt_in(f"{planned}; opt-in share {opt_in_share:.0%}")
    return Answer.opt_out(f"{planned}, below the opt-in share {opt_in_share:.0%}")
