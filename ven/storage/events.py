"""Events as received, one row per (event_id, modification_number), and the VEN's answer to each.

The answer (opt, reason, what decided it) is saved with the event as the VEN decides it (the EventBook
is its one source; `save()` writes it, a record without one keeps the stored answer). Whether the VTN
acknowledged it is `answered_at`, stamped once (`acknowledge()`), so a restarted VEN can tell
which modifications it has already answered.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ven.events.model import EventStatus
from ven.storage.db import from_db_time, from_json, optional_time, to_db_time, to_json
from ven.storage.errors import StorageUnavailableError
from ven.storage.records import EventRecord, OptAnswer

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from ven.storage.db import Scope

_LATEST = """SELECT e.* FROM events e WHERE e.ven = :ven
    AND e.modification_number = (SELECT MAX(modification_number) FROM events
                                 WHERE ven = e.ven AND event_id = e.event_id)"""
BUFFERED = -1  # rowcount of a write the store buffered while the database was unreachable


def _record(row: dict[str, Any]) -> EventRecord:
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
    def __init__(self, scope: Scope) -> None:
        self._scope = scope
        self._db = scope.backend

    def save(self, event: EventRecord) -> EventRecord:
        """Insert or update one modification; its answer replaces the stored one, a record without an
        answer keeps it; an acknowledgement already stored is kept."""
        now = self._scope.now_text()
        answered_at = None if event.answered_at is None else to_db_time(event.answered_at)
        self._db.execute(
            """INSERT INTO events (ven, event_id, modification_number, payload, status, opt, opt_reason,
                 opt_source, answered_at, start_at, end_at, randomised_offset_s, test_event, priority,
                 updated_at)
               VALUES (:ven, :event_id, :modification_number, :payload, :status, :opt, :opt_reason,
                 :opt_source, :answered_at, :start_at, :end_at, :randomised_offset_s, :test_event, :priority,
                 :now)
               ON CONFLICT (ven, event_id, modification_number) DO UPDATE SET payload = excluded.payload,
                 status = excluded.status, start_at = excluded.start_at, end_at = excluded.end_at,
                 randomised_offset_s = excluded.randomised_offset_s, test_event = excluded.test_event,
                 priority = excluded.priority, updated_at = excluded.updated_at,
                 opt_reason = CASE WHEN excluded.opt IS NULL THEN events.opt_reason
                              ELSE excluded.opt_reason END,
                 opt_source = CASE WHEN excluded.opt IS NULL THEN events.opt_source
                              ELSE excluded.opt_source END,
                 opt = COALESCE(excluded.opt, events.opt),
                 answered_at = COALESCE(events.answered_at, excluded.answered_at)""",
            {
                "ven": self._scope.ven,
                "event_id": event.event_id,
                "modification_number": event.modification_number,
                "payload": to_json(event.payload),
                "status": EventStatus(event.status).value,
                "opt": None if event.opt is None else OptAnswer(event.opt).value,
                "opt_reason": event.opt_reason,
                "opt_source": event.opt_source,
                "answered_at": answered_at,
                "start_at": to_db_time(event.start),
                "end_at": to_db_time(event.end),
                "randomised_offset_s": event.randomised_offset_s,
                "test_event": int(event.test_event),
                "priority": event.priority,
                "now": now,
            },
        )
        try:
            stored = self.get(event.event_id, event.modification_number)
        except StorageUnavailableError:  # buffered: what will be stored
            stored = None
        return stored if stored is not None else replace(event, updated_at=from_db_time(now))

    def get(self, event_id: str, modification_number: int | None = None) -> EventRecord | None:
        """One modification of an event; its latest when modification_number is None."""
        params: dict[str, object] = {"ven": self._scope.ven, "event_id": event_id}
        if modification_number is None:
            rows = self._db.query(_LATEST + " AND e.event_id = :event_id", params)
        else:
            rows = self._db.query(
                """SELECT * FROM events WHERE ven = :ven AND event_id = :event_id
                     AND modification_number = :modification_number""",
                {**params, "modification_number": modification_number},
            )
        return _record(rows[0]) if rows else None

    def latest(self, statuses: Iterable[EventStatus] | None = None) -> list[EventRecord]:
        """The latest modification of every event (optionally only in `statuses`), by start time."""
        rows = self._db.query(_LATEST + " ORDER BY e.start_at, e.event_id", {"ven": self._scope.ven})
        wanted = None if statuses is None else {EventStatus(s) for s in statuses}
        records = [_record(row) for row in rows]
        return [r for r in records if wanted is None or r.status in wanted]

    def pending(self) -> list[EventRecord]:
        """Events not yet completed or cancelled: what a restarted VEN must pick up again."""
        return self.latest((EventStatus.FAR, EventStatus.NEAR, EventStatus.ACTIVE))

    def set_status(self, event_id: str, status: EventStatus, modification_number: int | None = None) -> bool:
        """Set the status of one modification (the latest when None); False if there is no such event."""
        params: dict[str, object] = {
            "ven": self._scope.ven,
            "event_id": event_id,
            "status": EventStatus(status).value,
            "now": self._scope.now_text(),
        }
        if modification_number is None:
            which = (
                """(SELECT MAX(modification_number) FROM events WHERE ven = :ven AND event_id = :event_id)"""
            )
        else:
            which, params["modification_number"] = ":modification_number", modification_number
        changed = self._db.execute(
            f"""UPDATE events SET status = :status, updated_at = :now
                WHERE ven = :ven AND event_id = :event_id AND modification_number = {which}""",  # noqa: S608 - constant
            params,
        )
        return changed != 0

    def acknowledge(self, event_id: str, modification_number: int, at: datetime | None = None) -> bool:
        """Stamp the answer saved with this modification as acknowledged by the VTN; False if it was.

        Raises KeyError for a modification never saved.
        """
        now = self._scope.now_text()
        key = {"ven": self._scope.ven, "event_id": event_id, "modification_number": modification_number}
        changed = self._db.execute(
            """UPDATE events SET answered_at = :answered_at, updated_at = :now
               WHERE ven = :ven AND event_id = :event_id AND modification_number = :modification_number
                 AND answered_at IS NULL""",
            {**key, "answered_at": now if at is None else to_db_time(at), "now": now},
        )
        if changed:  # written, or buffered (written once the database is back, if still unacknowledged)
            return True
        exists = self._db.query(
            """SELECT 1 AS one FROM events
               WHERE ven = :ven AND event_id = :event_id AND modification_number = :modification_number""",
            key,
        )
        if not exists:
            raise KeyError(f"no event {event_id!r} modification {modification_number}")
        return False

    def is_answered(self, event_id: str, modification_number: int) -> bool:
        rows = self._db.query(
            """SELECT answered_at FROM events
               WHERE ven = :ven AND event_id = :event_id AND modification_number = :modification_number""",
            {"ven": self._scope.ven, "event_id": event_id, "modification_number": modification_number},
        )
        return bool(rows) and rows[0]["answered_at"] is not None

    def prune(self, before: datetime) -> int:
        """Forget events over (completed or cancelled) that ended before `before`, every modification."""
        return self._db.execute(
            """DELETE FROM events WHERE ven = :ven AND event_id IN (
                 SELECT e.event_id FROM events e WHERE e.ven = :ven AND e.end_at < :before
                   AND e.status IN ('completed', 'cancelled')
                   AND e.modification_number = (SELECT MAX(modification_number) FROM events
                                                WHERE ven = e.ven AND event_id = e.event_id))""",
            {"ven": self._scope.ven, "before": to_db_time(before)},
        )
