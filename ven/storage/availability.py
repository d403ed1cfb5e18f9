"""Owner overrides, and the opts sent to the VTN (an outbox: written before sending, so a restarted VEN
retries with the same optID and can always cancel what it sent); both per VEN name.

Overrides are written by `ven opt-out` (another process, the same VEN name) and read by the running VEN:
`revision()` is a cheap change marker it compares each poll.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ven.availability import Kind, OptSchedule, Override, SentOpt, Window
from ven.storage.db import from_db_time, from_json, optional_time, to_db_time, to_json

if TYPE_CHECKING:
    from ven.storage.backend import Row
    from ven.storage.db import Scope


def _override(row: Row) -> Override:
    start, end = optional_time(row["start_at"]), optional_time(row["end_at"])
    return Override(
        event_id=row["event_id"],
        window=None if start is None or end is None else Window(start, end),
        site=row["site"],
        note=row["note"],
        created_at=from_db_time(row["created_at"]),
        cancelled_at=optional_time(row["cancelled_at"]),
        id=int(row["id"]),
    )


class OverrideRepository:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _params(self, **values: Any) -> dict[str, Any]:
        return {"ven": self._scope.ven, **values}

    def add(self, override: Override) -> Override:
        """Store a new override; returns it with its id and creation time."""
        window = override.window
        new_id = self._scope.backend.insert(
            """INSERT INTO overrides (ven, event_id, start_at, end_at, site, note, created_at)
               VALUES (:ven, :event_id, :start_at, :end_at, :site, :note, :created_at)""",
            self._params(
                event_id=override.event_id,
                start_at=None if window is None else to_db_time(window.start),
                end_at=None if window is None else to_db_time(window.end),
                site=override.site,
                note=override.note,
                created_at=self._scope.now_text(),
            ),
        )
        found = None if new_id is None else self.get(new_id)
        if found is None:  # pragma: no cover - the row was just written
            raise RuntimeError("override not stored")
        return found

    def get(self, override_id: int) -> Override | None:
        rows = self._scope.backend.query(
            "SELECT * FROM overrides WHERE ven = :ven AND id = :id", self._params(id=override_id)
        )
        return _override(rows[0]) if rows else None

    def cancel(self, override_id: int) -> Override | None:
        """Cancel one override (once); None if this VEN has no such override."""
        self._scope.backend.execute(
            "UPDATE overrides SET cancelled_at = :at WHERE ven = :ven AND id = :id AND cancelled_at IS NULL",
            self._params(at=self._scope.now_text(), id=override_id),
        )
        return self.get(override_id)

    def active(self, now: datetime) -> list[Override]:
        """Overrides not cancelled whose window (if any) has not ended, oldest first."""
        rows = self._scope.backend.query(
            """SELECT * FROM overrides WHERE ven = :ven AND cancelled_at IS NULL
                 AND (end_at IS NULL OR end_at > :now) ORDER BY id""",
            self._params(now=to_db_time(now)),
        )
        return [_override(row) for row in rows]

    def all(self) -> list[Override]:
        rows = self._scope.backend.query(
            "SELECT * FROM overrides WHERE ven = :ven ORDER BY id", self._params()
        )
        return [_override(row) for row in rows]

    def revision(self) -> tuple[int, int]:
        """Changes whenever an override of this VEN is added or cancelled."""
        row = self._scope.backend.query(
            """SELECT COALESCE(MAX(id), 0) AS newest, COUNT(cancelled_at) AS cancelled
               FROM overrides WHERE ven = :ven""",
            self._params(),
        )[0]
        return int(row["newest"]), int(row["cancelled"])


def _windows(windows: tuple[Window, ...]) -> str:
    return to_json([[to_db_time(w.start), to_db_time(w.end)] for w in windows])


def _sent(row: Row) -> SentOpt:
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

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _stamp(self, column: str, opt_id: str) -> None:
        self._scope.backend.execute(
            f"UPDATE opts SET {column} = :at WHERE ven = :ven AND opt_id = :opt_id AND {column} IS NULL",  # noqa: S608 - our own column names
            {"ven": self._scope.ven, "opt_id": opt_id, "at": self._scope.now_text()},
        )

    def _select(self, where: str) -> list[SentOpt]:
        rows = self._scope.backend.query(
            f"SELECT * FROM opts WHERE ven = :ven AND {where} ORDER BY created_at, opt_id",  # noqa: S608 - constant conditions
            {"ven": self._scope.ven},
        )
        return [_sent(row) for row in rows]

    def add(self, opt_id: str, schedule: OptSchedule) -> SentOpt:
        now = self._scope.now_text()
        self._scope.backend.execute(
            """INSERT INTO opts (ven, opt_id, schedule_key, kind, event_id, site, windows, horizon_at, note,
                 created_at) VALUES (:ven, :opt_id, :key, :kind, :event_id, :site, :windows, :horizon, :note,
                 :created_at)""",
            {
                "ven": self._scope.ven,
                "opt_id": opt_id,
                "key": schedule.key,
                "kind": schedule.kind.value,
                "event_id": schedule.event_id,
                "site": schedule.site,
                "windows": _windows(schedule.windows),
                "horizon": None if schedule.horizon is None else to_db_time(schedule.horizon),
                "note": schedule.note,
                "created_at": now,
            },
        )
        return SentOpt(opt_id, schedule, from_db_time(now))

    def acknowledged(self, opt_id: str) -> None:
        self._stamp("acknowledged_at", opt_id)

    def request_cancel(self, opt_id: str) -> None:
        self._stamp("cancel_requested_at", opt_id)

    def cancelled(self, opt_id: str) -> None:
        self._stamp("cancelled_at", opt_id)

    def live(self) -> list[SentOpt]:
        """Opts created and not (asked to be) cancelled, oldest first: what the VTN should have."""
        return self._select("cancel_requested_at IS NULL")

    def unacknowledged(self) -> list[SentOpt]:
        return self._select("acknowledged_at IS NULL AND cancel_requested_at IS NULL")

    def to_cancel(self) -> list[SentOpt]:
        return self._select("cancel_requested_at IS NOT NULL AND cancelled_at IS NULL")
