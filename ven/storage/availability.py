"""Owner overrides, and the opts sent to the VTN (an outbox: written before sending, so a restarted VEN
retries with the same optID and can always cancel what it sent).

Overrides are written by `ven opt-out` (another process) and read by the running VEN: `revision()` is a
cheap change marker it compares each poll.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ven.availability import Kind, OptSchedule, Override, SentOpt, Window
from ven.storage.db import from_db_time, from_json, optional_time, to_db_time, to_json

if TYPE_CHECKING:
    import sqlite3

    from ven.storage.db import Database


def _override(row: sqlite3.Row) -> Override:
    start, end = optional_time(row["start_at"]), optional_time(row["end_at"])
    return Override(
        event_id=row["event_id"],
        window=None if start is None or end is None else Window(start, end),
        site=row["site"],
        note=row["note"],
        created_at=from_db_time(row["created_at"]),
        cancelled_at=optional_time(row["cancelled_at"]),
        id=row["id"],
    )


class OverrideRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, override: Override) -> Override:
        """Store a new override; returns it with its id and creation time."""
        window = override.window
        now = self._db.now_text()
        cursor = self._db.execute(
            "INSERT INTO overrides (event_id, start_at, end_at, site, note, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                override.event_id,
                None if window is None else to_db_time(window.start),
                None if window is None else to_db_time(window.end),
                override.site,
                override.note,
                now,
            ),
        )
        found = self.get(int(cursor.lastrowid or 0))
        if found is None:  # pragma: no cover - the row was just written
            raise RuntimeError("override not stored")
        return found

    def get(self, override_id: int) -> Override | None:
        rows = self._db.query("SELECT * FROM overrides WHERE id = ?", (override_id,))
        return _override(rows[0]) if rows else None

    def cancel(self, override_id: int) -> Override | None:
        """Cancel one override (once); None if there is no such override."""
        self._db.execute(
            "UPDATE overrides SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
            (self._db.now_text(), override_id),
        )
        return self.get(override_id)

    def active(self, now: datetime) -> list[Override]:
        """Overrides not cancelled whose window (if any) has not ended, oldest first."""
        rows = self._db.query(
            "SELECT * FROM overrides WHERE cancelled_at IS NULL AND (end_at IS NULL OR end_at > ?)"
            " ORDER BY id",
            (to_db_time(now),),
        )
        return [_override(row) for row in rows]

    def all(self) -> list[Override]:
        return [_override(row) for row in self._db.query("SELECT * FROM overrides ORDER BY id")]

    def revision(self) -> tuple[int, int]:
        """Changes whenever an override is added or cancelled."""
        row = self._db.query("SELECT COALESCE(MAX(id), 0), COUNT(cancelled_at) FROM overrides")[0]
        return int(row[0]), int(row[1])


def _windows(windows: tuple[Window, ...]) -> str:
    return to_json([[to_db_time(w.start), to_db_time(w.end)] for w in windows])


def _sent(row: sqlite3.Row) -> SentOpt:
    schedule = OptSchedule(
        key=row["schedule_key"],
        kind=Kind(row["kind"]),
        windows=tuple(Window(from_db_time(a), from_db_time(b)) for a, b in from_json(row["windows"])),
        event_id=row["event_id"],
        site=row["site"],
        horizon=optional_time(row["horizon_at"]),
        note=row["note"],
    )
    return SentOpt(row["opt_id"], schedule, from_db_time(row["created_at"]))


class OptRepository:
    """Opts by state: to send (not acknowledged), live (not cancelled), to cancel (cancel requested)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, opt_id: str, schedule: OptSchedule) -> SentOpt:
        now = self._db.now_text()
        self._db.execute(
            """INSERT INTO opts (opt_id, schedule_key, kind, event_id, site, windows, horizon_at, note,
                 created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                opt_id,
                schedule.key,
                schedule.kind.value,
                schedule.event_id,
                schedule.site,
                _windows(schedule.windows),
                None if schedule.horizon is None else to_db_time(schedule.horizon),
                schedule.note,
                now,
            ),
        )
        return SentOpt(opt_id, schedule, from_db_time(now))

    def acknowledged(self, opt_id: str) -> None:
        self._db.execute(
            "UPDATE opts SET acknowledged_at = ? WHERE opt_id = ? AND acknowledged_at IS NULL",
            (self._db.now_text(), opt_id),
        )

    def request_cancel(self, opt_id: str) -> None:
        self._db.execute(
            "UPDATE opts SET cancel_requested_at = ? WHERE opt_id = ? AND cancel_requested_at IS NULL",
            (self._db.now_text(), opt_id),
        )

    def cancelled(self, opt_id: str) -> None:
        self._db.execute(
            "UPDATE opts SET cancelled_at = ? WHERE opt_id = ? AND cancelled_at IS NULL",
            (self._db.now_text(), opt_id),
        )

    def live(self) -> list[SentOpt]:
        """Opts created and not (asked to be) cancelled, oldest first: what the VTN should have."""
        rows = self._db.query("SELECT * FROM opts WHERE cancel_requested_at IS NULL ORDER BY created_at")
        return [_sent(row) for row in rows]

    def unacknowledged(self) -> list[SentOpt]:
        rows = self._db.query(
            "SELECT * FROM opts WHERE acknowledged_at IS NULL AND cancel_requested_at IS NULL"
            " ORDER BY created_at"
        )
        return [_sent(row) for row in rows]

    def to_cancel(self) -> list[SentOpt]:
        rows = self._db.query(
            "SELECT * FROM opts WHERE cancel_requested_at IS NOT NULL AND cancelled_at IS NULL"
            " ORDER BY created_at"
        )
        return [_sent(row) for row in rows]

    def history(self, limit: int = 100) -> list[tuple[SentOpt, dict[str, datetime | None]]]:
        """The newest opts with their acknowledgement and cancellation times (for the status view)."""
        rows = self._db.query("SELECT * FROM opts ORDER BY created_at DESC LIMIT ?", (limit,))
        return [
            (
                _sent(row),
                {
                    "acknowledged_at": optional_time(row["acknowledged_at"]),
                    "cancel_requested_at": optional_time(row["cancel_requested_at"]),
                    "cancelled_at": optional_time(row["cancelled_at"]),
                },
            )
            for row in rows
        ]
