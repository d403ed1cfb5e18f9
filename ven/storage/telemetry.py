"""Telemetry samples, kept until the VTN has them: samples taken during a VTN outage are sent later.

A sample is unique per (resource, ts): storing it twice (a write replayed after a database outage) keeps one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ven.storage.backend import chunks
from ven.storage.db import from_db_time, to_db_time
from ven.storage.records import TelemetrySample

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from ven.storage.db import Scope

_COLUMNS = "id, ts, resource, usage_kw, baseline_kw, delta_kw, soc, reported"
_ID_BATCH = 500  # ids per UPDATE (SQLite allows 32,766 parameters)
_PRUNE_BATCH = 20_000  # rows per DELETE, so pruning a backlog never holds the database for long


def _sample(row: dict[str, Any]) -> TelemetrySample:
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
    def __init__(self, scope: Scope) -> None:
        self._scope = scope
        self._db = scope.backend

    def add(self, samples: Iterable[TelemetrySample]) -> int:
        """Store samples in one transaction; returns how many (-1 while buffered in an outage)."""
        ven = self._scope.ven
        rows = [
            {
                "ven": ven,
                "ts": to_db_time(s.ts),
                "resource": s.resource,
                "usage_kw": s.usage_kw,
                "baseline_kw": s.baseline_kw,
                "delta_kw": s.delta_kw,
                "soc": s.soc,
                "reported": int(s.reported),
            }
            for s in samples
        ]
        return self._db.execute_many(
            """INSERT INTO telemetry (ven, ts, resource, usage_kw, baseline_kw, delta_kw, soc, reported)
               VALUES (:ven, :ts, :resource, :usage_kw, :baseline_kw, :delta_kw, :soc, :reported)
               ON CONFLICT DO NOTHING""",
            rows,
        )

    def unreported(
        self, since: datetime | None = None, limit: int | None = None, resource: str | None = None
    ) -> list[TelemetrySample]:
        """Samples the VTN does not have yet (from `since` on), oldest first."""
        sql = f"SELECT {_COLUMNS} FROM telemetry WHERE ven = :ven AND reported = 0"  # noqa: S608 - constant
        params: dict[str, object] = {"ven": self._scope.ven}
        if since is not None:
            sql += " AND ts >= :since"
            params["since"] = to_db_time(since)
        if resource is not None:
            sql += " AND resource = :resource"
            params["resource"] = resource
        sql += " ORDER BY ts, id"
        if limit is not None:
            sql += " LIMIT :limit"
            params["limit"] = limit
        return [_sample(row) for row in self._db.query(sql, params)]

    def mark_reported(self, ids: Iterable[int]) -> int:
        """Flag samples as received by the VTN; returns how many changed."""
        changed = 0
        with self._db.transaction() as conn:
            # one statement per batch (a round trip each, not one per id); `reported <> 1`, not `= 0`, so
            # PostgreSQL looks rows up by id instead of scanning the partial backlog index
            for batch in chunks(ids, _ID_BATCH):
                names = {f"i{n}": sample_id for n, sample_id in enumerate(batch)}
                listed = ", ".join(f":{name}" for name in names)
                changed += conn.execute(
                    f"UPDATE telemetry SET reported = 1 WHERE id IN ({listed})"  # noqa: S608 - our names
                    " AND ven = :ven AND reported <> 1",
                    {"ven": self._scope.ven, **names},
                )
        return changed

    def mark_reported_before(self, until: datetime) -> int:
        """Flag every sample taken before `until` as received by the VTN; returns how many changed."""
        return self._db.execute(
            "UPDATE telemetry SET reported = 1 WHERE ven = :ven AND reported = 0 AND ts < :until",
            {"ven": self._scope.ven, "until": to_db_time(until)},
        )

    def count_unreported(self) -> int:
        rows = self._db.query(
            "SELECT COUNT(*) AS n FROM telemetry WHERE ven = :ven AND reported = 0", {"ven": self._scope.ven}
        )
        return int(rows[0]["n"])

    def between(self, start: datetime, end: datetime, resource: str | None = None) -> list[TelemetrySample]:
        """Samples with start <= ts < end, oldest first (for performance figures)."""
        sql = f"SELECT {_COLUMNS} FROM telemetry WHERE ven = :ven AND ts >= :start AND ts < :end"  # noqa: S608
        params: dict[str, object] = {
            "ven": self._scope.ven,
            "start": to_db_time(start),
            "end": to_db_time(end),
        }
        if resource is not None:
            sql += " AND resource = :resource"
            params["resource"] = resource
        return [_sample(row) for row in self._db.query(sql + " ORDER BY ts, id", params)]

    def prune(self, before: datetime, reported_only: bool = True) -> int:
        """Delete samples older than `before` (only those the VTN has, unless reported_only is False)."""
        sql = """DELETE FROM telemetry WHERE id IN (
                   SELECT id FROM telemetry WHERE ven = :ven AND ts < :before{only} LIMIT :batch)"""
        sql = sql.format(only=" AND reported = 1" if reported_only else "")
        params = {"ven": self._scope.ven, "before": to_db_time(before), "batch": _PRUNE_BATCH}
        total = 0
        while True:
            deleted = self._db.execute(sql, params)
            total += max(deleted, 0)
            if deleted < _PRUNE_BATCH:
                return total
