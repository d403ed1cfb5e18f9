"""Per-event outcomes: the dispatch decisions taken, and the performance measured, interval by interval."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ven.storage.db import from_db_time, from_json, to_db_time, to_json
from ven.storage.records import DispatchDecision, PerformanceRow

if TYPE_CHECKING:
    import sqlite3

    from ven.storage.db import Database


def _decision(row: sqlite3.Row) -> DispatchDecision:
    return DispatchDecision(
        event_id=row["event_id"],
        interval_index=row["interval_index"],
        decided_at=from_db_time(row["decided_at"]),
        policy=row["policy"],
        requested_kw=row["requested_kw"],
        planned_kw=row["planned_kw"],
        setpoints_kw=from_json(row["setpoints"]),
        id=row["id"],
    )


class DispatchRepository:
    """Every dispatch decision, kept (not replaced), so a closed-loop re-dispatch leaves a trail."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, decision: DispatchDecision) -> int:
        """Store one decision; returns its id."""
        cursor = self._db.execute(
            """INSERT INTO dispatch (event_id, interval_index, decided_at, policy, requested_kw, planned_kw,
                 setpoints) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (
                decision.event_id,
                decision.interval_index,
                to_db_time(decision.decided_at),
                decision.policy,
                decision.requested_kw,
                decision.planned_kw,
                to_json(dict(decision.setpoints_kw)),
            ),
        )
        return int(cursor.lastrowid or 0)

    def for_event(self, event_id: str) -> list[DispatchDecision]:
        rows = self._db.query(
            "SELECT * FROM dispatch WHERE event_id = ? ORDER BY interval_index, decided_at, id", (event_id,)
        )
        return [_decision(row) for row in rows]

    def recent(self, limit: int | None = None, event_id: str | None = None) -> list[DispatchDecision]:
        """The latest decisions, newest first, WITHOUT their setpoints (`setpoints_kw` is empty): cheap
        enough for a live view of a 10,000-EV fleet, whose every decision holds 10,000 setpoints."""
        sql = (
            "SELECT id, event_id, interval_index, decided_at, policy, requested_kw, planned_kw FROM dispatch"
        )
        params: list[object] = []
        if event_id is not None:
            sql += " WHERE event_id = ?"
            params.append(event_id)
        sql += " ORDER BY id DESC"  # insertion order is decision order
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [
            DispatchDecision(
                event_id=row["event_id"],
                interval_index=row["interval_index"],
                decided_at=from_db_time(row["decided_at"]),
                policy=row["policy"],
                requested_kw=row["requested_kw"],
                planned_kw=row["planned_kw"],
                id=row["id"],
            )
            for row in self._db.query(sql, params)
        ]

    def latest(self, event_id: str, interval_index: int | None = None) -> DispatchDecision | None:
        """The most recent decision for the event (for one interval of it when given)."""
        sql = "SELECT * FROM dispatch WHERE event_id = ?"
        params: list[object] = [event_id]
        if interval_index is not None:
            sql += " AND interval_index = ?"
            params.append(interval_index)
        rows = self._db.query(sql + " ORDER BY decided_at DESC, id DESC LIMIT 1", params)
        return _decision(rows[0]) if rows else None


def _performance(row: sqlite3.Row) -> PerformanceRow:
    return PerformanceRow(
        event_id=row["event_id"],
        interval_index=row["interval_index"],
        start=from_db_time(row["start_at"]),
        end=from_db_time(row["end_at"]),
        requested_kw=row["requested_kw"],
        delivered_kw=row["delivered_kw"],
        baseline_kw=row["baseline_kw"],
        measured_kw=row["measured_kw"],
        exported_kwh=row["exported_kwh"],
        departure_socs=from_json(row["departure_socs"]),
        updated_at=from_db_time(row["updated_at"]),
    )


class PerformanceRepository:
    """One row per event interval, updated as the interval runs and final once it ends."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def save(self, row: PerformanceRow) -> None:
        self._db.execute(
            """INSERT INTO performance (event_id, interval_index, start_at, end_at, requested_kw, baseline_kw,
                 measured_kw, delivered_kw, exported_kwh, departure_socs, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (event_id, interval_index) DO UPDATE SET start_at = excluded.start_at,
                 end_at = excluded.end_at, requested_kw = excluded.requested_kw,
                 baseline_kw = excluded.baseline_kw, measured_kw = excluded.measured_kw,
                 delivered_kw = excluded.delivered_kw, exported_kwh = excluded.exported_kwh,
                 departure_socs = excluded.departure_socs, updated_at = excluded.updated_at""",
            (
                row.event_id,
                row.interval_index,
                to_db_time(row.start),
                to_db_time(row.end),
                row.requested_kw,
                row.baseline_kw,
                row.measured_kw,
                row.delivered_kw,
                row.exported_kwh,
                to_json(dict(row.departure_socs)),
                self._db.now_text(),
            ),
        )

    def for_event(self, event_id: str) -> list[PerformanceRow]:
        rows = self._db.query(
            "SELECT * FROM performance WHERE event_id = ? ORDER BY interval_index", (event_id,)
        )
        return [_performance(row) for row in rows]
