"""Events as received, one row per (event_id, modification_number), and the VEN's answer to each.

The answer (opt, reason, what decided it) is saved with the event as the VEN decides it (the EventBook
is its one source; `save()` writes it, a record without one keeps the stored answer). Whether the VTN
acknowledged it is `answered_at`, stamped once (`acknowledge()`), so a restarted VEN can tell
which modifications it has already answered.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ven.storage.db import from_db_time, from_json, optional_time, to_db_time, to_json
from ven.storage.records import EventRecord, EventStatus, OptAnswer

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable
    from datetime import datetime

    from ven.storage.db import Database

_LATEST = """SELECT e.* FROM events e
    WHERE e.modification_number = (SELECT MAX(modification_number) FROM events WHERE event_id = e.event_id)"""


def _record(row: sqlite3.Row) -> EventRecord:
    return EventRecord(
        event_id=row["event_id"],
        modification_number=row["modification_number"],
        payload=from_json(row["payload"]),
        status=EventStatus(row["status"]),
        start=from_db_time(row["start_at"]),
        end=from_db_time(row["end_at"]),
        randomised_offset_s=row["randomised_offset_s"],
        test_event=bool(row["test_event"]),
        priority=row["priority"],
        opt=None if row["opt"] is None else OptAnswer(row["opt"]),
        opt_reason=row["opt_reason"],
        opt_source=row["opt_source"],
        answered_at=optional_time(row["answered_at"]),
        updated_at=from_db_time(row["updated_at"]),
    )


class EventRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def save(self, event: EventRecord) -> EventRecord:
        """Insert or update one modification; its answer replaces the stored one, a record without an
        answer keeps it; an acknowledgement already stored is kept."""
        now = self._db.now_text()
        answered_at = None if event.answered_at is None else to_db_time(event.answered_at)
        self._db.execute(
            """INSERT INTO events (event_id, modification_number, payload, status, opt, opt_reason,
                 opt_source, answered_at, start_at, end_at, randomised_offset_s, test_event, priority,
                 updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (event_id, modification_number) DO UPDATE SET payload = excluded.payload,
                 status = excluded.status, start_at = excluded.start_at, end_at = excluded.end_at,
                 randomised_offset_s = excluded.randomised_offset_s, test_event = excluded.test_event,
                 priority = excluded.priority, updated_at = excluded.updated_at,
                 opt_reason = IIF(excluded.opt IS NULL, events.opt_reason, excluded.opt_reason),
                 opt_source = IIF(excluded.opt IS NULL, events.opt_source, excluded.opt_source),
                 opt = COALESCE(excluded.opt, events.opt),
                 answered_at = COALESCE(events.answered_at, excluded.answered_at)""",
            (
                event.event_id,
                event.modification_number,
                to_json(event.payload),
                EventStatus(event.status).value,
                None if event.opt is None else OptAnswer(event.opt).value,
                event.opt_reason,
                event.opt_source,
                answered_at,
                to_db_time(event.start),
                to_db_time(event.end),
                event.randomised_offset_s,
                int(event.test_event),
                event.priority,
                now,
            ),
        )
        stored = self.get(event.event_id, event.modification_number)
        return stored if stored is not None else replace(event, updated_at=from_db_time(now))

    def get(self, event_id: str, modification_number: int | None = None) -> EventRecord | None:
        """One modification of an event; its latest when modification_number is None."""
        if modification_number is None:
            rows = self._db.query(_LATEST + " AND e.event_id = ?", (event_id,))
        else:
            rows = self._db.query(
                "SELECT * FROM events WHERE event_id = ? AND modification_number = ?",
                (event_id, modification_number),
            )
        return _record(rows[0]) if rows else None

    def latest(self, statuses: Iterable[EventStatus] | None = None) -> list[EventRecord]:
        """The latest modification of every event (optionally only in `statuses`), by start time."""
        rows = self._db.query(_LATEST + " ORDER BY e.start_at, e.event_id")
        wanted = None if statuses is None else {EventStatus(s) for s in statuses}
        records = [_record(row) for row in rows]
        return [r for r in records if wanted is None or r.status in wanted]

    def pending(self) -> list[EventRecord]:
        """Events not yet completed or cancelled: what a restarted VEN must pick up again."""
        return self.latest((EventStatus.FAR, EventStatus.NEAR, EventStatus.ACTIVE))

    def set_status(self, event_id: str, status: EventStatus, modification_number: int | None = None) -> bool:
        """Set the status of one modification (the latest when None); False if there is no such event."""
        if modification_number is None:
            latest = self.get(event_id)
            if latest is None:
                return False
            modification_number = latest.modification_number
        cursor = self._db.execute(
            "UPDATE events SET status = ?, updated_at = ? WHERE event_id = ? AND modification_number = ?",
            (EventStatus(status).value, self._db.now_text(), event_id, modification_number),
        )
        return cursor.rowcount > 0

    def acknowledge(self, event_id: str, modification_number: int, at: datetime | None = None) -> bool:
        """Stamp the answer saved with this modification as acknowledged by the VTN; False if it was.

        Raises KeyError for a modification never saved.
        """
        now = self._db.now_text()
        answered_at = now if at is None else to_db_time(at)
        with self._db.transaction() as conn:
            cursor = conn.execute(
                """UPDATE events SET answered_at = ?, updated_at = ?
                   WHERE event_id = ? AND modification_number = ? AND answered_at IS NULL""",
                (answered_at, now, event_id, modification_number),
            )
            if cursor.rowcount:
                return True
            exists = conn.execute(
                "SELECT 1 FROM events WHERE event_id = ? AND modification_number = ?",
                (event_id, modification_number),
            ).fetchone()
        if exists is None:
            raise KeyError(f"no event {event_id!r} modification {modification_number}")
        return False

    def is_answered(self, event_id: str, modification_number: int) -> bool:
        rows = self._db.query(
            "SELECT answered_at FROM events WHERE event_id = ? AND modification_number = ?",
            (event_id, modification_number),
        )
        return bool(rows) and rows[0]["answered_at"] is not None
