"""Our protocol-neutral opt-outs (ven.availability.OptSchedule) as 2.0b oadrCreateOpt messages.

| why (availability.Kind) | optReason        | what the VTN gets                                       |
|-------------------------|------------------|---------------------------------------------------------|
| SCHEDULE                | x-schedule       | vavailability: one component per configured window      |
| AWAY                    | notParticipating | vavailability: one component per "every EV away" window |
| OVERRIDE                | overrideStatus   | vavailability (a window) or qualifiedEventID (an event) |

optType is always optOut: the components are when the VEN (or, with a site, that resource: eiTarget
resourceID) cannot take part. CONTRACT.md names x-schedule and notParticipating for configured windows;
owner overrides use overrideStatus, the 2.0b reason for a manual override.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ven.availability import Kind, OptSchedule
from ven.openadr.wire import OptMessage

REASONS = {Kind.SCHEDULE: "x-schedule", Kind.AWAY: "notParticipating", Kind.OVERRIDE: "overrideStatus"}


def opt_message(
    schedule: OptSchedule,
    *,
    opt_id: str,
    ven_id: str,
    request_id: str,
    created: datetime,
    modification_number: int | None = None,
    market_context: str | None = None,
) -> OptMessage:
    """The oadrCreateOpt for one schedule (an event opt needs the event's current modification)."""
    return OptMessage(
        opt_id=opt_id,
        opt_type="optOut",
        opt_reason=REASONS[schedule.kind],
        ven_id=ven_id,
        request_id=request_id,
        created=created,
        components=tuple(_whole_seconds(w.start, w.end) for w in schedule.windows),
        event_id=schedule.event_id,
        modification_number=modification_number if schedule.event_id is not None else None,
        resource_ids=() if schedule.site is None else (schedule.site,),
        market_context=market_context,
    )


def _whole_seconds(start: datetime, end: datetime) -> tuple[datetime, timedelta]:
    """The window widened to whole seconds (durations on the wire are whole seconds)."""
    begin = start.replace(microsecond=0)
    finish = end if not end.microsecond else end.replace(microsecond=0) + timedelta(seconds=1)
    return begin, finish - begin
