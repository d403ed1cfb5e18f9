"""Telemetry samples, kept until the VTN has them: samples taken during a VTN outage are sent later."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ven.storage.db import from_db_time, to_db_time
from ven.storage.records import TelemetrySample

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable
    from datetime import datetime

    from ven.storage.db import Database

_COLUMNS = "id, ts, resource, usage_kw, baseline_kw, delta_kw, soc, reported"


def _sample(row: sqlite3.Row) -> TelemetrySample:
    return TelemetrySample(
        ts=from_db_time(row["ts"]),
        resource=row["resource"],
        usage_kw=row["usage_kw"],
        baseline_kw=row["baseline_kw"],
        delta_kw=row["delta_kw"],
        soc=row["soc"],
        reported=bool(row["reported"]),
        id=row["id"],
    )


class TelemetryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, samples: Iterable[TelemetrySample]) -> int:
        """Store samples in one transaction; returns how many."""
        rows = (
            (to_db_time(s.ts), s.resource, s.usage_kw, s.baseline_kw, s.delta_kw, s.soc, int(s.reported))
            for s in samples
        )
        return self._db.execute_many(
            "INSERT INTO telemetry (ts, resource, usage_kw, baseline_kw, delta_kw, soc, reported)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def unreported(
        self, since: datetime | None = None, limit: int | None = None, resource: str | None = None
    ) -> list[TelemetrySample]:
        """Samples the VTN does not have yet (from `since` on), oldest first."""
        sql = f"SELECT {_COLUMNS} FROM telemetry WHERE reported = 0"  # noqa: S608 - constant column list
        params: list[object] = []
        if since is not None:
            sql += " AND ts >= ?"
            params.append(to_db_time(since))
        if resource is not None:
            sql += " AND resource = ?"
            params.append(resource)
        sql += " ORDER BY ts, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_sample(row) for row in self._db.query(sql, params)]

    def mark_reported(self, ids: Iterable[int]) -> int:
        """Flag samples as received by the VTN; returns how many changed."""
        return self._db.execute_many(
            "UPDATE telemetry SET reported = 1 WHERE id = ? AND reported = 0", ((i,) for i in ids)
        )

    def mark_reported_before(self, until: datetime) -> int:
        """Flag every sample taken before `until` as received by the VTN; returns how many changed."""
        sql = "UPDATE telemetry SET reported = 1 WHERE reported = 0 AND ts < ?"
        return self._db.execute(sql, (to_db_time(until),)).rowcount

    def count_unreported(self) -> int:
        return int(self._db.query("SELECT COUNT(*) FROM telemetry WHERE reported = 0")[0][0])

    def between(self, start: datetime, end: datetime, resource: str | None = None) -> list[TelemetrySample]:
        """Samples with start <= ts < end, oldest first (for performance figures)."""
        sql = f"SELECT {_COLUMNS} FROM telemetry WHERE ts >= ? AND ts < ?"  # noqa: S608 - constant column list
        params: list[object] = [to_db_time(start), to_db_time(end)]
        if resource is not None:
            sql += " AND resource = ?"
            params.append(resource)
        return [_sample(row) for row in self._db.query(sql + " ORDER BY ts, id", params)]

    def prune(self, before: datetime, reported_only: bool = True) -> int:
        """Delete samples older than `before` (only those the VTN has, unless reported_only is False)."""
        sql = "DELETE FROM telemetry WHERE ts < ? AND (reported = 1 OR ? = 0)"
        return self._db.execute(sql, (to_db_time(before), int(reported_only))).rowcount
