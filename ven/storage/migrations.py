"""The schema, as an ordered list of migrations applied at open: a database is always at the latest version.

One list for every backend: type tokens (`{real}`, `{id}`, `{blob}`, `{strict}`) are rendered by the backend's
dialect (on SQLite, versions 1-4 render exactly as they were released). Never edit a released migration;
append a new one. Each runs inside the opening transaction, so a failed upgrade leaves the database as it was.
A step may be SQL or a function of the connection (for conversions SQL cannot express).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ven.storage.migrate_v5 import V5_STEPS

if TYPE_CHECKING:
    from collections.abc import Callable

    from ven.storage.backend import Backend, Connection


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str | Callable[[Connection], None], ...]


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
                poll_freq_s {real},
                updated_at TEXT NOT NULL
            ){strict}""",
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
                randomised_offset_s {real} NOT NULL DEFAULT 0,
                test_event INTEGER NOT NULL DEFAULT 0,
                priority INTEGER NOT NULL DEFAULT 0,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (event_id, modification_number)
            ){strict}""",
            """CREATE TABLE dispatch (
                id {id},
                event_id TEXT NOT NULL,
                interval_index INTEGER NOT NULL,
                decided_at TEXT NOT NULL,
                policy TEXT NOT NULL,
                requested_kw {real} NOT NULL,
                planned_kw {real} NOT NULL,
                setpoints TEXT NOT NULL
            ){strict}""",
            """CREATE TABLE telemetry (
                id {id},
                ts TEXT NOT NULL,
                resource TEXT NOT NULL,
                usage_kw {real} NOT NULL,
                baseline_kw {real},
                delta_kw {real},
                soc {real},
                reported INTEGER NOT NULL DEFAULT 0 CHECK (reported IN (0, 1))
            ){strict}""",
            """CREATE TABLE performance (
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
                PRIMARY KEY (event_id, interval_index)
            ){strict}""",
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
            ){strict}""",
        ),
    ),
    Migration(
        4,
        "what decided each event answer (the protocol edge derives its response code from it)",
        ("ALTER TABLE events ADD COLUMN opt_source TEXT",),
    ),
    Migration(
        5,
        "many VENs on one database (rows owned by VEN name, a status row each); compact setpoints, baselines",
        V5_STEPS,
    ),
    Migration(
        6,
        "owner overrides and the opt schedules sent to the VTN, per VEN",
        (
            """CREATE TABLE overrides (
                id {id},
                ven TEXT NOT NULL,
                event_id TEXT,
                start_at TEXT,
                end_at TEXT,
                site TEXT,
                note TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL,
                cancelled_at TEXT,
                CHECK ((event_id IS NULL) <> (start_at IS NULL)),
                CHECK ((start_at IS NULL) = (end_at IS NULL))
            ){strict}""",
            "CREATE INDEX overrides_by_ven ON overrides (ven, id)",
            """CREATE TABLE opts (
                ven TEXT NOT NULL,
                opt_id TEXT NOT NULL,
                schedule_key TEXT NOT NULL,
                kind TEXT NOT NULL,
                event_id TEXT,
                site TEXT,
                windows TEXT NOT NULL,
                horizon_at TEXT,
                note TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL,
                acknowledged_at TEXT,
                cancel_requested_at TEXT,
                cancelled_at TEXT,
                PRIMARY KEY (ven, opt_id)
            ){strict}""",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
){strict}"""


def schema_version(backend: Backend, conn: Connection) -> int | None:
    """The database's schema version: 0 for an empty database, None for a database that is not ours."""
    tables = backend.table_names(conn)
    if "schema_version" not in tables:
        return 0 if not tables else None
    row = conn.query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")[0]
    return int(row["v"])


def apply_migrations(
    backend: Backend, conn: Connection, current: int, applied_at: str, target: int = LATEST_VERSION
) -> int:
    """Apply migrations after `current` up to `target` (in the caller's transaction); the new version."""
    conn.execute(backend.dialect.render(_VERSION_TABLE))
    for migration in MIGRATIONS:
        if current < migration.version <= target:
            for step in migration.statements:
                if isinstance(step, str):
                    conn.execute(backend.dialect.render(step))
                else:
                    step(conn)
            conn.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (:v, :d, :at)",
                {"v": migration.version, "d": migration.description, "at": applied_at},
            )
            current = migration.version
    return current
