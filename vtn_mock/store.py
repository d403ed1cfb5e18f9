"""The mock VTN's state in one SQLite file: VENs, events, opt answers, report metadata and readings.

Times are stored as UTC epoch seconds (REAL) so range queries compare numbers, not strings. Calls are short
and run on the event loop thread; WAL with synchronous=NORMAL keeps a commit well under a millisecond.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vtn_mock.events import StoredEvent, spec_from_json, spec_to_json
from vtn_mock.opts import OptSchedule

_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE vens (ven_id TEXT PRIMARY KEY, ven_name TEXT NOT NULL UNIQUE, registration_id TEXT,
                       fingerprint TEXT, registered_at REAL, last_poll_at REAL, poll_count INTEGER NOT NULL);
    CREATE TABLE registrations (ven_id TEXT NOT NULL, registration_id TEXT, fingerprint TEXT,
                                action TEXT NOT NULL, at REAL NOT NULL);
    CREATE TABLE events (event_id TEXT PRIMARY KEY, modification_number INTEGER NOT NULL,
                         cancelled INTEGER NOT NULL, spec TEXT NOT NULL, created_at REAL NOT NULL,
                         modified_at REAL NOT NULL, source TEXT NOT NULL);
    CREATE TABLE event_vens (event_id TEXT NOT NULL, ven_id TEXT NOT NULL,
                             delivered_modification_number INTEGER, delivered_at REAL,
                             PRIMARY KEY (event_id, ven_id));
    CREATE TABLE opts (event_id TEXT NOT NULL, ven_id TEXT NOT NULL, modification_number INTEGER,
                       opt_type TEXT NOT NULL, via TEXT NOT NULL, at REAL NOT NULL);
    CREATE TABLE report_descriptions (ven_id TEXT NOT NULL, report_specifier_id TEXT NOT NULL,
                                      r_id TEXT NOT NULL, report_name TEXT NOT NULL, report_type TEXT,
                                      resource_id TEXT, unit TEXT, scale TEXT,
                                      PRIMARY KEY (ven_id, report_specifier_id, r_id));
    CREATE TABLE report_requests (report_request_id TEXT PRIMARY KEY, ven_id TEXT NOT NULL,
                                  report_specifier_id TEXT NOT NULL, at REAL NOT NULL);
    CREATE TABLE readings (ven_id TEXT NOT NULL, r_id TEXT NOT NULL, report_name TEXT NOT NULL,
                           report_type TEXT, resource_id TEXT, measured_at REAL NOT NULL, value TEXT NOT NULL,
                           power_kw REAL,
                           received_at REAL NOT NULL);
    CREATE INDEX readings_by_ven ON readings (ven_id, report_type, measured_at);
    """,
    "CREATE INDEX readings_by_time ON readings (measured_at)",
    """
    CREATE TABLE opt_schedules (opt_id TEXT NOT NULL, ven_id TEXT NOT NULL, opt_type TEXT NOT NULL,
                                opt_reason TEXT NOT NULL, market_context TEXT, event_id TEXT,
                                modification_number INTEGER, resource_ids TEXT NOT NULL,
                                components TEXT NOT NULL, created_at REAL NOT NULL, cancelled_at REAL,
                                PRIMARY KEY (ven_id, opt_id));
    """,
)


def to_ts(when: datetime) -> float:
    return when.timestamp()


def from_ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True)
class VenRecord:
    ven_id: str
    ven_name: str
    registration_id: str | None
    fingerprint: str | None
    registered_at: datetime | None
    last_poll_at: datetime | None = None
    poll_count: int = 0


@dataclass(frozen=True)
class ReportDescription:
    report_specifier_id: str
    r_id: str
    report_name: str  # without the METADATA_ prefix
    report_type: str | None
    resource_id: str | None
    unit: str | None
    scale: str | None


@dataclass(frozen=True)
class Reading:
    ven_id: str
    description: ReportDescription
    measured_at: datetime
    value: str  # JSON text: a number, or a status object
    power_kw: float | None


@dataclass(frozen=True)
class Opt:
    opt_type: str
    modification_number: int | None
    via: str
    at: datetime


class Store:
    """SQLite persistence with a schema version table and forward-only migrations."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path))
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def close(self) -> None:
        self._db.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """For tables kept beside these (the OpenADR 3.1 documents), with their own migrations."""
        return self._db

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = row[0] or 0
        for version, script in enumerate(_MIGRATIONS[current:], start=current + 1):
            # One script per version, applied atomically with its version row (`version` is our own int).
            stamp = f"INSERT INTO schema_version VALUES ({int(version)});"  # noqa: S608
            self._db.executescript(f"BEGIN; {script}; {stamp} COMMIT;")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    # VENs
    def save_ven(self, ven: VenRecord, action: str) -> None:
        at = to_ts(ven.registered_at) if ven.registered_at else None
        with self._db:
            self._db.execute(
                "INSERT INTO vens VALUES (?, ?, ?, ?, ?, NULL, 0) ON CONFLICT (ven_id) DO UPDATE SET "
                "ven_name=excluded.ven_name, registration_id=excluded.registration_id, "
                "fingerprint=excluded.fingerprint, registered_at=excluded.registered_at",
                (ven.ven_id, ven.ven_name, ven.registration_id, ven.fingerprint, at),
            )
            self._db.execute(
                "INSERT INTO registrations VALUES (?, ?, ?, ?, ?)",
                (ven.ven_id, ven.registration_id, ven.fingerprint, action, at or 0.0),
            )

    def load_vens(self) -> list[VenRecord]:
        rows = self._db.execute("SELECT * FROM vens ORDER BY ven_name").fetchall()
        return [VenRecord(r[0], r[1], r[2], r[3], from_ts(r[4]), from_ts(r[5]), r[6]) for r in rows]

    def record_poll(self, ven_id: str, at: datetime) -> None:
        with self._db:
            self._db.execute(
                "UPDATE vens SET last_poll_at=?, poll_count=poll_count+1 WHERE ven_id=?", (to_ts(at), ven_id)
            )

    # Events
    def save_event(self, event: StoredEvent) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    event.event_id,
                    event.modification_number,
                    int(event.cancelled),
                    spec_to_json(event.spec),
                    to_ts(event.created_at),
                    to_ts(event.modified_at),
                    event.source,
                ),
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO event_vens VALUES (?, ?, NULL, NULL)",
                [(event.event_id, ven_id) for ven_id in event.ven_ids],
            )

    def load_events(self) -> list[StoredEvent]:
        targets: dict[str, list[str]] = {}
        for event_id, ven_id in self._db.execute("SELECT event_id, ven_id FROM event_vens ORDER BY rowid"):
            targets.setdefault(event_id, []).append(ven_id)
        rows = self._db.execute("SELECT * FROM events ORDER BY created_at").fetchall()
        return [
            StoredEvent(
                event_id=r[0],
                modification_number=r[1],
                cancelled=bool(r[2]),
                spec=spec_from_json(r[3]),
                ven_ids=tuple(targets.get(r[0], ())),
                created_at=_dt(r[4]),
                modified_at=_dt(r[5]),
                source=r[6],
            )
            for r in rows
        ]

    def mark_delivered(self, event_id: str, ven_id: str, modification_number: int, at: datetime) -> None:
        with self._db:
            self._db.execute(
                "UPDATE event_vens SET delivered_modification_number=?, delivered_at=? "
                "WHERE event_id=? AND ven_id=?",
                (modification_number, to_ts(at), event_id, ven_id),
            )

    def deliveries(self, event_id: str) -> dict[str, tuple[int | None, datetime | None]]:
        rows = self._db.execute(
            "SELECT ven_id, delivered_modification_number, delivered_at FROM event_vens WHERE event_id=?",
            (event_id,),
        )
        return {r[0]: (r[1], from_ts(r[2])) for r in rows}

    def load_deliveries(self) -> dict[tuple[str, str], int]:
        """(event_id, ven_id) → the modification number last delivered."""
        rows = self._db.execute(
            "SELECT event_id, ven_id, delivered_modification_number FROM event_vens "
            "WHERE delivered_modification_number IS NOT NULL"
        )
        return {(r[0], r[1]): r[2] for r in rows}

    def record_opt(self, event_id: str, ven_id: str, opt: Opt) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO opts VALUES (?, ?, ?, ?, ?, ?)",
                (event_id, ven_id, opt.modification_number, opt.opt_type, opt.via, to_ts(opt.at)),
            )

    def activity_mark(self) -> tuple[int, ...]:
        """Grows with every opt answer, reading, opt schedule stored or cancelled: a cheap change marker for
        live views."""
        row = self._db.execute(
            "SELECT (SELECT MAX(rowid) FROM opts), (SELECT MAX(rowid) FROM readings),"
            " (SELECT MAX(rowid) FROM opt_schedules), (SELECT COUNT(cancelled_at) FROM opt_schedules)"
        ).fetchone()
        return tuple(value or 0 for value in row)

    def latest_opts(self, event_id: str) -> dict[str, Opt]:
        rows = self._db.execute(
            "SELECT ven_id, opt_type, modification_number, via, at FROM opts "
            "WHERE event_id=? ORDER BY at, rowid",
            (event_id,),
        )
        return {r[0]: Opt(r[1], r[2], r[3], _dt(r[4])) for r in rows}

    # Opt schedules
    def save_opt_schedule(self, opt: OptSchedule) -> None:
        """Store a VEN's opt schedule; the same optID again replaces it (a retried oadrCreateOpt)."""
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO opt_schedules VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    opt.opt_id,
                    opt.ven_id,
                    opt.opt_type,
                    opt.opt_reason,
                    opt.market_context,
                    opt.event_id,
                    opt.modification_number,
                    json.dumps(list(opt.resource_ids)),
                    opt.components_json(),
                    to_ts(opt.created_at),
                ),
            )

    def cancel_opt_schedule(self, ven_id: str, opt_id: str, at: datetime) -> bool:
        """Mark one opt schedule cancelled; False if this VEN has no such live schedule."""
        with self._db:
            cursor = self._db.execute(
                "UPDATE opt_schedules SET cancelled_at=? "
                "WHERE ven_id=? AND opt_id=? AND cancelled_at IS NULL",
                (to_ts(at), ven_id, opt_id),
            )
        return cursor.rowcount > 0

    def opt_schedules(self, ven_id: str | None = None, *, live_only: bool = False) -> list[OptSchedule]:
        sql = "SELECT * FROM opt_schedules WHERE (? IS NULL OR ven_id = ?)"
        if live_only:
            sql += " AND cancelled_at IS NULL"
        rows = self._db.execute(sql + " ORDER BY created_at, rowid", (ven_id, ven_id)).fetchall()
        return [
            OptSchedule(
                opt_id=r[0],
                ven_id=r[1],
                opt_type=r[2],
                opt_reason=r[3],
                market_context=r[4],
                event_id=r[5],
                modification_number=r[6],
                resource_ids=tuple(json.loads(r[7])),
                components=OptSchedule.components_from_json(r[8]),
                created_at=_dt(r[9]),
                cancelled_at=from_ts(r[10]),
            )
            for r in rows
        ]

    # Reports
    def save_report_descriptions(self, ven_id: str, descriptions: list[ReportDescription]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO report_descriptions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        ven_id,
                        d.report_specifier_id,
                        d.r_id,
                        d.report_name,
                        d.report_type,
                        d.resource_id,
                        d.unit,
                        d.scale,
                    )
                    for d in descriptions
                ],
            )

    def load_report_descriptions(self) -> dict[tuple[str, str, str], ReportDescription]:
        rows = self._db.execute("SELECT * FROM report_descriptions")
        return {(r[0], r[1], r[2]): ReportDescription(*r[1:]) for r in rows}

    def save_report_request(
        self, report_request_id: str, ven_id: str, specifier_id: str, at: datetime
    ) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO report_requests VALUES (?, ?, ?, ?)",
                (report_request_id, ven_id, specifier_id, to_ts(at)),
            )

    def load_report_requests(self) -> dict[str, tuple[str, str]]:
        rows = self._db.execute("SELECT report_request_id, ven_id, report_specifier_id FROM report_requests")
        return {r[0]: (r[1], r[2]) for r in rows}

    def add_readings(self, readings: list[Reading], received_at: datetime) -> None:
        with self._db:
            self._db.executemany(
                "INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.ven_id,
                        r.description.r_id,
                        r.description.report_name,
                        r.description.report_type,
                        r.description.resource_id,
                        to_ts(r.measured_at),
                        r.value,
                        r.power_kw,
                        to_ts(received_at),
                    )
                    for r in readings
                ],
            )

    def power_readings(
        self,
        ven_id: str,
        report_type: str,
        since: datetime,
        until: datetime,
    ) -> list[tuple[str | None, datetime, float]]:
        """(resource_id, measured_at, power_kw) of one report type, oldest first."""
        rows = self._db.execute(
            "SELECT resource_id, measured_at, power_kw FROM readings WHERE ven_id=? AND report_type=? "
            "AND power_kw IS NOT NULL AND measured_at>=? AND measured_at<? ORDER BY measured_at",
            (ven_id, report_type, to_ts(since), to_ts(until)),
        )
        return [(r[0], _dt(r[1]), r[2]) for r in rows]

    def prune(self, readings_before: datetime, registrations_before: datetime) -> int:
        """Delete readings measured, and registration history recorded, before the cutoffs; how many rows."""
        with self._db:
            gone = self._db.execute("DELETE FROM readings WHERE measured_at < ?", (to_ts(readings_before),))
            old = self._db.execute("DELETE FROM registrations WHERE at < ?", (to_ts(registrations_before),))
            return gone.rowcount + old.rowcount

    def latest_readings(
        self, ven_id: str, limit: int
    ) -> list[tuple[str, str, str | None, str | None, datetime, str]]:
        """(r_id, report_name, report_type, resource_id, measured_at, value JSON), newest first."""
        rows = self._db.execute(
            "SELECT r_id, report_name, report_type, resource_id, measured_at, value FROM readings "
            "WHERE ven_id=? ORDER BY measured_at DESC, rowid DESC LIMIT ?",
            (ven_id, limit),
        )
        return [(r[0], r[1], r[2], r[3], _dt(r[4]), r[5]) for r in rows]


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)
