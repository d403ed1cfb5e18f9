"""Per-event outcomes: the dispatch decisions taken, and the performance measured, interval by interval.

A decision's setpoints are whole watts over the VEN's EV set: the first decision of each event interval in
full, each later one as the setpoints that changed since the one before (a chain of at most _CHAIN rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ven.storage.codec import decode, encode_delta, encode_full, ev_index, from_watts, to_watts
from ven.storage.db import from_db_time, from_json, to_db_time, to_json
from ven.storage.records import DispatchDecision, PerformanceRow

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from ven.storage.codec import Watts
    from ven.storage.db import Scope
    from ven.storage.evsets import EvSets

_CHAIN = 32  # a full vector at least every _CHAIN decisions, so reading one never replays more


@dataclass
class _Last:
    """The decision this process wrote last: what the next one of the same interval is a delta against."""

    event_id: str
    interval_index: int
    ev_set: str
    watts: Watts
    chain: int


class DispatchRepository:
    """Every dispatch decision, kept (not replaced), so a closed-loop re-dispatch leaves a trail."""

    def __init__(self, scope: Scope, ev_sets: EvSets) -> None:
        self._scope = scope
        self._db = scope.backend
        self._ev_sets = ev_sets
        self._last: _Last | None = None
        # the planned fleet's ids and each one's position: the same fleet every control step
        self._index: tuple[tuple[str, ...], dict[str, int]] = ((), {})

    def record(self, decision: DispatchDecision, ev_ids: tuple[str, ...] | None = None) -> int | None:
        """Store one decision; its id (None while buffered in an outage).

        `ev_ids` (the planned fleet, in its order) lets every decision of one fleet share one EV set.
        """
        ids = ev_ids if ev_ids is not None else tuple(sorted(decision.setpoints_kw))
        ev_set = self._ev_sets.name(ids)
        if self._index[0] != ids:
            self._index = (ids, ev_index(ids))
        watts = to_watts(ids, decision.setpoints_kw, self._index[1])
        last = self._last
        blob = None
        if (
            last is not None
            and (last.event_id, last.interval_index, last.ev_set)
            == (decision.event_id, decision.interval_index, ev_set)
            and last.chain < _CHAIN
        ):
            blob = encode_delta(last.watts, watts)
        chain = 0 if blob is None else last.chain + 1  # type: ignore[union-attr]
        new_id = self._db.insert(
            """INSERT INTO dispatch (ven, event_id, interval_index, decided_at, policy, requested_kw,
                 planned_kw,
                 ev_set, delta, setpoints)
               VALUES (:ven, :event_id, :interval_index, :decided_at, :policy, :requested_kw, :planned_kw,
                 :ev_set, :delta, :setpoints)""",
            {
                "ven": self._scope.ven,
                "event_id": decision.event_id,
                "interval_index": decision.interval_index,
                "decided_at": to_db_time(decision.decided_at),
                "policy": decision.policy,
                "requested_kw": decision.requested_kw,
                "planned_kw": decision.planned_kw,
                "ev_set": ev_set,
                "delta": int(blob is not None),
                "setpoints": encode_full(watts) if blob is None else blob,
            },
        )
        self._last = _Last(decision.event_id, decision.interval_index, ev_set, watts, chain)
        return new_id

    def for_event(self, event_id: str) -> list[DispatchDecision]:
        rows = self._db.query(
            """SELECT * FROM dispatch WHERE ven = :ven AND event_id = :event_id
               ORDER BY interval_index, id""",
            {"ven": self._scope.ven, "event_id": event_id},
        )
        decisions = self._decode(rows)
        return sorted(decisions, key=lambda d: (d.interval_index, d.decided_at, d.id or 0))

    def recent(self, limit: int | None = None, event_id: str | None = None) -> list[DispatchDecision]:
        """The latest decisions, newest first, WITHOUT their setpoints (`setpoints_kw` is empty): cheap
        enough for a live view of a 10,000-EV fleet, whose every decision holds 10,000 setpoints."""
        sql = """SELECT id, event_id, interval_index, decided_at, policy, requested_kw, planned_kw
                 FROM dispatch WHERE ven = :ven"""
        params: dict[str, object] = {"ven": self._scope.ven}
        if event_id is not None:
            sql += " AND event_id = :event_id"
            params["event_id"] = event_id
        sql += " ORDER BY id DESC"  # insertion order is decision order
        if limit is not None:
            sql += " LIMIT :limit"
            params["limit"] = limit
        return [_decision(row) for row in self._db.query(sql, params)]

    def latest(self, event_id: str, interval_index: int | None = None) -> DispatchDecision | None:
        """The most recent decision for the event (for one interval of it when given)."""
        params: dict[str, object] = {"ven": self._scope.ven, "event_id": event_id}
        sql = "SELECT id, interval_index FROM dispatch WHERE ven = :ven AND event_id = :event_id"
        if interval_index is not None:
            sql += " AND interval_index = :interval_index"
            params["interval_index"] = interval_index
        newest = self._db.query(sql + " ORDER BY decided_at DESC, id DESC LIMIT 1", params)
        if not newest:
            return None
        head = newest[0]
        # its chain: from the last full vector at or before it, in the same interval
        rows = self._db.query(
            """SELECT * FROM dispatch WHERE ven = :ven AND event_id = :event_id AND interval_index = :k
                 AND id <= :id AND id >= (SELECT MAX(id) FROM dispatch
                                          WHERE ven = :ven AND event_id = :event_id
                                          AND interval_index = :k AND id <= :id AND delta = 0)
               ORDER BY id""",
            {**params, "k": head["interval_index"], "id": head["id"]},
        )
        decoded = self._decode(rows)
        return decoded[-1] if decoded else None

    def prune(self, before: datetime) -> int:
        """Forget decisions of event intervals whose last decision is older than `before`.

        Whole intervals go at once, so no delta outlives the full vector it follows.
        """
        ven = self._scope.ven
        old = self._db.query(
            """SELECT event_id, interval_index FROM dispatch WHERE ven = :ven
               GROUP BY event_id, interval_index HAVING MAX(decided_at) < :before""",
            {"ven": ven, "before": to_db_time(before)},
        )
        return self._db.execute_many(
            """DELETE FROM dispatch
               WHERE ven = :ven AND event_id = :event_id AND interval_index = :interval_index""",
            [{"ven": ven, **row} for row in old],
        )

    def _decode(self, rows: list[dict[str, Any]]) -> list[DispatchDecision]:
        out: list[DispatchDecision] = []
        previous: Watts | None = None
        where: tuple[str, int, str] | None = None
        for row in rows:
            here = (row["event_id"], row["interval_index"], row["ev_set"])
            base = previous if (row["delta"] and here == where) else None
            watts = decode(bytes(row["setpoints"]), base)
            previous, where = watts, here
            out.append(_decision(row, from_watts(self._ev_sets.ids(row["ev_set"]), watts)))
        return out


def _decision(row: dict[str, Any], setpoints_kw: Mapping[str, float] | None = None) -> DispatchDecision:
    """A stored decision; its setpoints only where the caller decoded them (they are the bulk of a row)."""
    return DispatchDecision(
        event_id=row["event_id"],
        interval_index=row["interval_index"],
        decided_at=from_db_time(row["decided_at"]),
        policy=row["policy"],
        requested_kw=row["requested_kw"],
        planned_kw=row["planned_kw"],
        setpoints_kw={} if setpoints_kw is None else setpoints_kw,
        id=row["id"],
    )


def _performance(row: dict[str, Any]) -> PerformanceRow:
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

    def __init__(self, scope: Scope) -> None:
        self._scope = scope
        self._db = scope.backend

    def save(self, row: PerformanceRow) -> None:
        self._db.execute(
            """INSERT INTO performance (ven, event_id, interval_index, start_at, end_at, requested_kw,
                 baseline_kw,
                 measured_kw, delivered_kw, exported_kwh, departure_socs, updated_at)
               VALUES (:ven, :event_id, :interval_index, :start_at, :end_at, :requested_kw, :baseline_kw,
                 :measured_kw, :delivered_kw, :exported_kwh, :departure_socs, :now)
               ON CONFLICT (ven, event_id, interval_index) DO UPDATE SET start_at = excluded.start_at,
                 end_at = excluded.end_at, requested_kw = excluded.requested_kw,
                 baseline_kw = excluded.baseline_kw, measured_kw = excluded.measured_kw,
                 delivered_kw = excluded.delivered_kw, exported_kwh = excluded.exported_kwh,
                 departure_socs = excluded.departure_socs, updated_at = excluded.updated_at""",
            {
                "ven": self._scope.ven,
                "event_id": row.event_id,
                "interval_index": row.interval_index,
                "start_at": to_db_time(row.start),
                "end_at": to_db_time(row.end),
                "requested_kw": row.requested_kw,
                "baseline_kw": row.baseline_kw,
                "measured_kw": row.measured_kw,
                "delivered_kw": row.delivered_kw,
                "exported_kwh": row.exported_kwh,
                "departure_socs": to_json(dict(row.departure_socs)),
                "now": self._scope.now_text(),
            },
        )

    def for_event(self, event_id: str) -> list[PerformanceRow]:
        rows = self._db.query(
            "SELECT * FROM performance WHERE ven = :ven AND event_id = :event_id ORDER BY interval_index",
            {"ven": self._scope.ven, "event_id": event_id},
        )
        return [_performance(row) for row in rows]

    def get(self, event_id: str, interval_index: int) -> PerformanceRow | None:
        rows = self._db.query(
            """SELECT * FROM performance WHERE ven = :ven AND event_id = :event_id
                 AND interval_index = :interval_index""",
            {"ven": self._scope.ven, "event_id": event_id, "interval_index": interval_index},
        )
        return _performance(rows[0]) if rows else None

    def prune(self, before: datetime) -> int:
        """Forget intervals that ended before `before`."""
        return self._db.execute(
            "DELETE FROM performance WHERE ven = :ven AND end_at < :before",
            {"ven": self._scope.ven, "before": to_db_time(before)},
        )
