"""Schema version 5: every row owned by a VEN name, a status row per VEN, compact setpoints and baselines.

Rows from a single-VEN database (versions 1-4) get the VEN name '' here; the first VEN to claim the database
adopts them (Store.claim). Setpoints and baselines were JSON; they become int32 watts / float64, zlib'd.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from ven.storage.codec import encode_floats, encode_full, ev_set_digest, to_watts

if TYPE_CHECKING:
    from collections.abc import Callable

    from ven.storage.backend import Connection

_CREATE = (
    """CREATE TABLE vens (
        ven TEXT PRIMARY KEY,
        ven_id TEXT,
        registration_id TEXT,
        vtn_id TEXT,
        poll_freq_s {real},
        registered_at TEXT,
        started_at TEXT,
        stopped_at TEXT,
        link_up INTEGER NOT NULL DEFAULT 0,
        active_event TEXT,
        next_event TEXT,
        next_event_start TEXT,
        requested_kw {real},
        delivered_kw {real},
        evs INTEGER,
        evs_plugged_in INTEGER,
        soc_by_site TEXT NOT NULL DEFAULT '{{}}',
        status_at TEXT
    ){strict}""",
    """CREATE TABLE events_v5 (
        ven TEXT NOT NULL,
        event_id TEXT NOT NULL,
        modification_number INTEGER NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('far', 'near', 'active', 'completed', 'cancelled')),
        opt TEXT CHECK (opt IN ('optIn', 'optOut')),
        opt_reason TEXT,
        opt_source TEXT,
        answered_at TEXT,
        start_at TEXT NOT NULL,
        end_at TEXT NOT NULL,
        randomised_offset_s {real} NOT NULL DEFAULT 0,
        test_event INTEGER NOT NULL DEFAULT 0,
        priority INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (ven, event_id, modification_number)
    ){strict}""",
    """CREATE TABLE ev_sets (
        ven TEXT NOT NULL,
        digest TEXT NOT NULL,
        ev_ids TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (ven, digest)
    ){strict}""",
    """CREATE TABLE dispatch_v5 (
        id {id},
        ven TEXT NOT NULL,
        event_id TEXT NOT NULL,
        interval_index INTEGER NOT NULL,
        decided_at TEXT NOT NULL,
        policy TEXT NOT NULL,
        requested_kw {real} NOT NULL,
        planned_kw {real} NOT NULL,
        ev_set TEXT NOT NULL,
        delta INTEGER NOT NULL CHECK (delta IN (0, 1)),
        setpoints {blob} NOT NULL
    ){strict}""",
    """CREATE TABLE telemetry_v5 (
        id {id},
        ven TEXT NOT NULL,
        ts TEXT NOT NULL,
        resource TEXT NOT NULL,
        usage_kw {real} NOT NULL,
        baseline_kw {real},
        delta_kw {real},
        soc {real},
        reported INTEGER NOT NULL DEFAULT 0 CHECK (reported IN (0, 1))
    ){strict}""",
    """CREATE TABLE performance_v5 (
        ven TEXT NOT NULL,
        event_id TEXT NOT NULL,
        interval_index INTEGER NOT NULL,
        start_at TEXT NOT NULL,
        end_at TEXT NOT NULL,
        requested_kw {real} NOT NULL,
        baseline_kw {real},
        measured_kw {real},
        delivered_kw {real},
        exported_kwh {real} NOT NULL DEFAULT 0,
        departure_socs TEXT NOT NULL DEFAULT '{{}}',
        updated_at TEXT NOT NULL,
        PRIMARY KEY (ven, event_id, interval_index)
    ){strict}""",
    """CREATE TABLE event_baselines_v5 (
        ven TEXT NOT NULL,
        event_id TEXT NOT NULL,
        start_at TEXT NOT NULL,
        ev_set TEXT NOT NULL,
        baseline {blob} NOT NULL,
        frozen_at TEXT NOT NULL,
        PRIMARY KEY (ven, event_id)
    ){strict}""",
)

_COPY = (
    """INSERT INTO vens (ven, ven_id, registration_id, vtn_id, poll_freq_s, registered_at)
       SELECT '', ven_id, registration_id, vtn_id, poll_freq_s, updated_at FROM registration""",
    """INSERT INTO events_v5 (ven, event_id, modification_number, payload, status, opt, opt_reason,
         opt_source, answered_at, start_at, end_at, randomised_offset_s, test_event, priority, updated_at)
       SELECT '', event_id, modification_number, payload, status, opt, opt_reason, opt_source,
         answered_at, start_at, end_at, randomised_offset_s, test_event, priority, updated_at FROM events""",
    # The same sample twice (possible before v5) is kept once: (ven, resource, ts) is unique from now on.
    """INSERT INTO telemetry_v5 (ven, ts, resource, usage_kw, baseline_kw, delta_kw, soc, reported)
       SELECT '', ts, resource, usage_kw, baseline_kw, delta_kw, soc, reported FROM telemetry WHERE 1 = 1
       ORDER BY id ON CONFLICT DO NOTHING""",
    """INSERT INTO performance_v5 (ven, event_id, interval_index, start_at, end_at, requested_kw, baseline_kw,
         measured_kw, delivered_kw, exported_kwh, departure_socs, updated_at)
       SELECT '', event_id, interval_index, start_at, end_at, requested_kw, baseline_kw,
         measured_kw, delivered_kw, exported_kwh, departure_socs, updated_at FROM performance""",
)


def _ev_set(conn: Connection, ev_ids: tuple[str, ...], created_at: str) -> str:
    digest = ev_set_digest(ev_ids)
    conn.execute(
        """INSERT INTO ev_sets (ven, digest, ev_ids, created_at) VALUES ('', :digest, :ids, :at)
           ON CONFLICT DO NOTHING""",
        {"digest": digest, "ids": json.dumps(list(ev_ids)), "at": created_at},
    )
    return digest


def _convert_dispatch(conn: Connection) -> None:
    """JSON setpoints → one full int32-watts vector per decision, over the EVs that decision commanded."""
    for row in conn.query("SELECT * FROM dispatch ORDER BY id"):
        setpoints: dict[str, float] = json.loads(row["setpoints"])
        ev_ids = tuple(sorted(setpoints))
        conn.execute(
            """INSERT INTO dispatch_v5 (ven, event_id, interval_index, decided_at, policy, requested_kw,
                 planned_kw, ev_set, delta, setpoints)
               VALUES ('', :event_id, :interval_index, :decided_at, :policy, :requested_kw, :planned_kw,
                 :ev_set, 0, :setpoints)""",
            {
                **{k: row[k] for k in ("event_id", "interval_index", "decided_at", "policy")},
                "requested_kw": row["requested_kw"],
                "planned_kw": row["planned_kw"],
                "ev_set": _ev_set(conn, ev_ids, row["decided_at"]),
                "setpoints": encode_full(to_watts(ev_ids, setpoints)),
            },
        )


def _convert_baselines(conn: Connection) -> None:
    for row in conn.query("SELECT * FROM event_baselines ORDER BY event_id"):
        ev_ids = tuple(json.loads(row["ev_ids"]))
        values = np.asarray(json.loads(row["baseline_kw"]), dtype=np.float64).reshape(len(ev_ids), -1)
        conn.execute(
            """INSERT INTO event_baselines_v5 (ven, event_id, start_at, ev_set, baseline, frozen_at)
               VALUES ('', :event_id, :start_at, :ev_set, :baseline, :frozen_at)""",
            {
                "event_id": row["event_id"],
                "start_at": row["start_at"],
                "ev_set": _ev_set(conn, ev_ids, row["frozen_at"]),
                "baseline": encode_floats(values),
                "frozen_at": row["frozen_at"],
            },
        )


_SWAP = tuple(
    statement
    for table in ("events", "dispatch", "telemetry", "performance", "event_baselines")
    for statement in (f"DROP TABLE {table}", f"ALTER TABLE {table}_v5 RENAME TO {table}")
)

_INDEXES = (
    "CREATE INDEX events_by_status ON events (ven, status)",
    "CREATE INDEX dispatch_by_event ON dispatch (ven, event_id, interval_index, id)",
    "CREATE INDEX dispatch_by_time ON dispatch (ven, decided_at)",
    "CREATE UNIQUE INDEX telemetry_sample ON telemetry (ven, resource, ts)",
    "CREATE INDEX telemetry_unreported ON telemetry (ven, ts) WHERE reported = 0",
    "CREATE INDEX telemetry_by_time ON telemetry (ven, ts)",
    "CREATE INDEX performance_by_time ON performance (ven, end_at)",
)

V5_STEPS: tuple[str | Callable[[Connection], None], ...] = (
    *_CREATE,
    # before the copies: the unique sample index makes ON CONFLICT DO NOTHING skip duplicates
    "CREATE UNIQUE INDEX telemetry_v5_sample ON telemetry_v5 (ven, resource, ts)",
    *_COPY,
    _convert_dispatch,
    _convert_baselines,
    "DROP TABLE registration",
    *_SWAP,
    "DROP INDEX telemetry_v5_sample",
    *_INDEXES,
)
