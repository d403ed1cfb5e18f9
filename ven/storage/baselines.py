"""Each event's baseline, frozen when its dispatch starts, so a restarted VEN measures against the same one.

The baseline is what the fleet would have drawn with no event; computed again from a state the event
itself changed (a discharged EV "would charge"), it would climb as the fleet delivers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from ven.storage.codec import decode_floats, encode_floats
from ven.storage.db import from_db_time, to_db_time

if TYPE_CHECKING:
    from ven.model.fleet import FloatArray
    from ven.storage.db import Scope
    from ven.storage.evsets import EvSets


@dataclass(frozen=True)
class EventBaseline:
    """(N, K) baseline power per EV and event interval, kW, for the EVs in `ev_ids` order."""

    event_id: str
    start: datetime
    ev_ids: tuple[str, ...]
    baseline_kw: FloatArray


class BaselineRepository:
    def __init__(self, scope: Scope, ev_sets: EvSets) -> None:
        self._scope = scope
        self._db = scope.backend
        self._ev_sets = ev_sets

    def save(self, baseline: EventBaseline) -> None:
        """Store the event's baseline unless one is stored already (the first freeze wins)."""
        values = np.asarray(np.round(baseline.baseline_kw, 6), dtype=np.float64)
        self._db.execute(
            """INSERT INTO event_baselines (ven, event_id, start_at, ev_set, baseline, frozen_at)
               VALUES (:ven, :event_id, :start_at, :ev_set, :baseline, :frozen_at)
               ON CONFLICT (ven, event_id) DO NOTHING""",
            {
                "ven": self._scope.ven,
                "event_id": baseline.event_id,
                "start_at": to_db_time(baseline.start),
                "ev_set": self._ev_sets.name(baseline.ev_ids),
                "baseline": encode_floats(values.reshape(len(baseline.ev_ids), -1)),
                "frozen_at": self._scope.now_text(),
            },
        )

    def get(self, event_id: str) -> EventBaseline | None:
        rows = self._db.query(
            "SELECT * FROM event_baselines WHERE ven = :ven AND event_id = :event_id",
            {"ven": self._scope.ven, "event_id": event_id},
        )
        if not rows:
            return None
        row = rows[0]
        return EventBaseline(
            event_id,
            from_db_time(row["start_at"]),
            self._ev_sets.ids(row["ev_set"]),
            decode_floats(bytes(row["baseline"])),
        )

    def prune(self, before: datetime) -> int:
        """Forget baselines frozen before `before`, except those of events still pending."""
        return self._db.execute(
            """DELETE FROM event_baselines WHERE ven = :ven AND frozen_at < :before AND event_id NOT IN (
                 SELECT e.event_id FROM events e WHERE e.ven = :ven AND e.status IN ('far', 'near', 'active')
                   AND e.modification_number = (SELECT MAX(modification_number) FROM events
                                                WHERE ven = e.ven AND event_id = e.event_id))""",
            {"ven": self._scope.ven, "before": to_db_time(before)},
        )
