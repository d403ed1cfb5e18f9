"""VENs' opt schedules (oadrCreateOpt / oadrCancelOpt), typed once from openleadr's parsed dicts.

An opt schedule with vavailability components says when the VEN (or one of its resources, eiTarget
resourceID) is out (optOut) or in (optIn); one with a qualifiedEventID is about one event. The mock VTN
keeps them all, shows them in the admin API, and — when asked to (`respect_opt_outs`) — leaves a VEN out
of an event whose active period overlaps one of its whole-VEN optOut windows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vtn_mock.parsed import as_list


class OptPayloadError(ValueError):
    """An oadrCreateOpt the mock VTN cannot read (answered with 454)."""


@dataclass(frozen=True)
class OptSchedule:
    opt_id: str
    ven_id: str
    opt_type: str
    opt_reason: str
    created_at: datetime
    components: tuple[tuple[datetime, timedelta], ...] = ()
    event_id: str | None = None
    modification_number: int | None = None
    resource_ids: tuple[str, ...] = ()
    market_context: str | None = None
    cancelled_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.cancelled_at is None

    @property
    def whole_ven(self) -> bool:
        return not self.resource_ids

    def windows(self) -> list[tuple[datetime, datetime]]:
        return [(start, start + length) for start, length in self.components]

    def out_during(self, start: datetime, end: datetime) -> bool:
        """A live whole-VEN optOut window overlaps [start, end)."""
        return (
            self.live
            and self.opt_type == "optOut"
            and self.whole_ven
            and any(a < end and start < b for a, b in self.windows())
        )

    def components_json(self) -> str:
        return json.dumps([[start.isoformat(), length.total_seconds()] for start, length in self.components])

    @staticmethod
    def components_from_json(text: str) -> tuple[tuple[datetime, timedelta], ...]:
        return tuple(
            (datetime.fromisoformat(start), timedelta(seconds=seconds)) for start, seconds in json.loads(text)
        )


def opt_from_openleadr(payload: dict[str, Any], received_at: datetime) -> OptSchedule:
    """An OptSchedule from openleadr's parsed oadrCreateOpt; OptPayloadError if unusable."""
    opt_id, ven_id = payload.get("opt_id"), payload.get("ven_id")
    if not opt_id or not ven_id:
        raise OptPayloadError("optID and venID are required")
    components = []
    availability = payload.get("vavailability") or {}
    for item in as_list((availability.get("components") or {}).get("available")):
        properties = (item or {}).get("properties", item or {})  # openleadr flattens a single one
        start, length = properties.get("dtstart"), properties.get("duration")
        if not isinstance(start, datetime) or start.tzinfo is None or not isinstance(length, timedelta):
            raise OptPayloadError(f"availability component unreadable: {properties!r}")
        components.append((start, length))
    targets = as_list(payload.get("targets"))
    resources = tuple(str(t["resource_id"]) for t in targets if isinstance(t, dict) and t.get("resource_id"))
    event_id = payload.get("event_id")
    modification = payload.get("modification_number")
    return OptSchedule(
        opt_id=str(opt_id),
        ven_id=str(ven_id),
        opt_type=str(payload.get("opt_type")),
        opt_reason=str(payload.get("opt_reason")),
        created_at=received_at,
        components=tuple(components),
        event_id=None if event_id is None else str(event_id),
        modification_number=modification if isinstance(modification, int) else None,
        resource_ids=resources,
        market_context=payload.get("market_context"),
    )
