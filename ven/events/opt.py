"""The opt decision for one event: opt in when the fleet can deliver what is asked in every interval.

`deliverable_kw` is what the fleet can deliver toward the request in each interval, signed like
`Request.reduction_kw` (positive = reduction, negative = load-up), e.g. `Plan.reduction_kw` from
ven.plan.make_plan. `share` relaxes the bar: 0.8 opts in when at least 80 % can be delivered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from ven.model.fleet import FloatArray
from ven.model.request import Request
from ven.openadr.models import EventStatus, OadrEvent, OptDecision, OptType, ResponseCode

logger = logging.getLogger(__name__)

TOLERANCE_KW = 1e-3  # solver round-off, not a business margin


def decide(
    event: OadrEvent,
    request: Request,
    deliverable_kw: Sequence[float] | FloatArray,
    share: float = 1.0,
    *,
    targeted: bool = True,
) -> OptDecision:
    """optIn if `share` of the request can be delivered in every interval, else optOut with the
    first short interval named. Cancelled events are confirmed (rule 36), test events opted in (they
    are answered, never dispatched), untargeted ones refused with 462 (rule 48)."""
    decision = _decide(event, request, deliverable_kw, share, targeted=targeted)
    log = logger.info if decision.opt is OptType.OPT_IN else logger.warning
    log(
        "event %s modification %d: %s (%s)",
        event.event_id,
        event.modification_number,
        decision.opt.value,
        decision.reason,
    )
    return decision


def _decide(
    event: OadrEvent,
    request: Request,
    deliverable_kw: Sequence[float] | FloatArray,
    share: float,
    *,
    targeted: bool,
) -> OptDecision:
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be within 0..1, got {share}")
    if event.event_status is EventStatus.CANCELLED:
        return OptDecision.opt_in("cancellation confirmed")
    if not targeted:
        return OptDecision.opt_out(
            "event targets none of this VEN's ids, resources, groups or parties", ResponseCode.TARGET_MISMATCH
        )
    if event.test_event:
        return OptDecision.opt_in("test event: answered, not dispatched")
    requested = np.asarray(request.reduction_kw, dtype=np.float64) * share
    deliverable = np.asarray(deliverable_kw, dtype=np.float64)
    if deliverable.shape != requested.shape:
        raise ValueError(f"deliverable_kw: expected {requested.shape[0]} values, got {deliverable.shape}")
    # Shortfall in the request's own direction: less reduction for a shed, less load for a load-up.
    shortfall = np.where(requested >= 0.0, requested - deliverable, deliverable - requested)
    short = np.flatnonzero(shortfall > TOLERANCE_KW)
    if short.size == 0:
        return OptDecision.opt_in(f"can deliver the request in all {requested.size} intervals")
    k = int(short[0])
    more = f" ({short.size} of {requested.size} intervals short)" if short.size > 1 else ""
    reason = (
        f"can deliver {abs(deliverable[k]):.0f} of {abs(requested[k]):.0f} kW "
        f"{'reduction' if requested[k] >= 0 else 'load-up'} in interval {k}{more}"
    )
    return OptDecision.opt_out(reason)
