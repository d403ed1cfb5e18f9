"""The schema, as an ordered list of migrations applied at open: a database is always at the latest version.

Never edit a released migration; append a new one. Each runs inside the opening transaction, so a failed
upgrade leaves the file as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "registration, events, dispatch decisions, telemetry, performance",
        (
            """CREATE TABLE registration (
                singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                ven_id TEXT NOT NULL,
                registration_id TEXT NOT NULL,
                vtn_id TEXT NOT NULL,
                poll_freq_s REAL,
                updated_at TEXT NOT NULL
            ) STRICT""",
            """CREATE TABLE events (
                event_id TEXT NOT NULL,
                modification_number INTEGER NOT NULL,
                payload TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('far', 'near', 'active', 'completed', 'cancelled')),
                opt TEXT CHECK (opt IN ('optIn', 'optOut')),
                opt_reason TEXT,
                answered_at TEXT,
                start_at TEXT NOT NULL,
                end_at TEXT NOT NULL,
                randomised_offset_s REAL NOT NULL DEFAULT 0,
                test_event INTEGER NOT NULL DEFAULT 0,
                priority INTEGER NOT NULL DEFAULT 0,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (event_id, modification_number)
            ) STRICT""",
            """CREATE TABLE dispatch (
                id INTEGER PRIMARY KEY,
                event_id TEXT NOT NULL,
                interval_index INTEGER NOT NULL,
                decided_at TEXT NOT NULL,
                policy TEXT NOT NULL,
                requested_kw REAL NOT NULL,
                planned_kw REAL NOT NULL,
                setpoints TEXT NOT NULL
            ) STRICT""",
            """CREATE TABLE telemetry (
                id INTEGER PRIMARY KEY,
                ts TEXT NOT NULL,
                resource TEXT NOT NULL,
                usage_kw REAL NOT NULL,
                baseline_kw REAL,
                delta_kw REAL,
                soc REAL,
                reported INTEGER NOT NULL DEFAULT 0 CHECK (reported IN (0, 1))
            ) STRICT""",
            """CREATE TABLE performance (
                event_id TEXT NOT NULL,
                interval_index INTEGER NOT NULL,
                start_at TEXT NOT NULL,
                end_at TEXT NOT NULL,
                requested_kw REAL NOT NULL,
                baseline_kw REAL,
                measured_kw REAL,
                delivered_kw REAL,
                exported_kwh REAL NOT NULL DEFAULT 0,
                departure_socs TEXT NOT NULL DEFAULT '{}',
                updated_at TEXT NOT NULL,
                PRIMARY KEY (event_id, interval_index)
            ) STRICT""",
        ),
    ),
    Migration(
        2,
        "indexes for the unreported-telemetry backlog and per-event lookups",
        (
            "CREATE INDEX telemetry_unreported ON telemetry (ts) WHERE reported = 0",
            "CREATE INDEX telemetry_by_time ON telemetry (ts, resource)",
            "CREATE INDEX dispatch_by_event ON dispatch (event_id, interval_index, decided_at)",
            "CREATE INDEX events_by_status ON events (status)",
        ),
    ),
    Migration(
        3,
        "each event's baseline, frozen when its dispatch starts",
        (
            """CREATE TABLE event_baselines (
                event_id TEXT PRIMARY KEY,
                start_at TEXT NOT NULL,
                ev_ids TEXT NOT NULL,
                baseline_kw TEXT NOT NULL,
                frozen_at TEXT NOT NULL
            ) STRICT""",
        ),
    ),
    Migration(
        4,
        "what decided each event answer (the protocol edge derives its response code from it)",
        ("ALTER TABLE events ADD COLUMN opt_source TEXT",),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
) STRICT"""


def schema_version(conn: sqlite3.Connection) -> int | None:
    """The database's schema version: 0 for an empty file, None for a database that is not ours."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" not in tables:
        return 0 if not {t for t in tables if not t.startswith("sqlite_")} else None
    row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(row[0])


def apply_migrations(
    conn: sqlite3.Connection, current: int, applied_at: str, target: int = LATEST_VERSION
) -> int:
    """Apply migrations after `current` up to `target` (in the caller's transaction); the new version."""
    conn.execute(_VERSION_TABLE)
    for migration in MIGRATIONS:
        if current < migration.version <= target:
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, applied_at),
            )
            current = migration.version
    return current
