"""When the fleet cannot serve, protocol-neutral: recurring windows, owner overrides, "every EV away".

    Unavailability(zone, recurring, derive_away).holds(t, overrides, dispatching) -> Holds (dispatch,
        TELEMETRY_STATUS), .held_mask(sites, horizon, overrides) (forecast), .blocking(...) (opt decision),
        .schedules(now, fleet, overrides) -> the opt-outs the VTN should have
    sync.reconcile(wanted, sent, now) -> which opts to create and cancel

The protocol edges turn OptSchedules into their own messages (2.0b: oadrCreateOpt / oadrCancelOpt).
"""

from ven.availability.overrides import NO_HOLDS, Holds, Override, event_opt_out, override_holds
from ven.availability.sync import SentOpt, SyncPlan, reconcile
from ven.availability.unavailability import Kind, OptSchedule, Unavailability
from ven.availability.windows import RecurringWindow, Window, covered, gaps, merged

__all__ = [
    "NO_HOLDS",
    "Holds",
    "Kind",
    "OptSchedule",
    "Override",
    "RecurringWindow",
    "SentOpt",
    "SyncPlan",
    "Unavailability",
    "Window",
    "covered",
    "event_opt_out",
    "gaps",
    "merged",
    "override_holds",
    "reconcile",
]
