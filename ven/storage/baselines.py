"""Each event's baseline, frozen when its dispatch starts, so a restarted VEN measures against the same one.

The baseline is what the fleet would have drawn with no event; computed again from a state the event
itself changed (a discharged EV "would charge"), it would climb as the fleet delivers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from ven.storage.db import from_db_time, from_json, to_db_time, to_json

if TYPE_CHECKING:
    from ven.model.fleet import FloatArray
    from ven.storage.db import Database


@dataclass(frozen=True)
class EventBaseline:
    """(N, K) baseline power per EV and event interval, kW, for the EVs in `ev_ids` order."""

    event_id: str
    start: datetime
    ev_ids: tuple[str, ...]
    baseline_kw: FloatArray


class BaselineRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def save(self, baseline: EventBaseline) -> None:
        """Store the event's baseline unless one is stored already (the first freeze wins)."""
        self._db.execute(
            """INSERT INTO event_baselines (event_id, start_at, ev_ids, baseline_kw, frozen_at)
               VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING""",
            (
                baseline.event_id,
                to_db_time(baseline.start),
                to_json(list(baseline.ev_ids)),
                to_json(np.round(baseline.baseline_kw, 6).tolist()),
                self._db.now_text(),
            ),
        )

    def get(self, event_id: str) -> EventBaseline | None:
        rows = self._db.query("SELECT * FROM event_baselines WHERE event_id = ?", (event_id,))
        if not rows:
            return None
        row = rows[0]
        return EventBaseline(
            event_id,
            from_db_time(row["start_at"]),
            tuple(from_json(row["ev_ids"])),
            np.asarray(from_json(row["baseline_kw"]), dtype=np.float64),
        )
