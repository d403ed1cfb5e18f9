"""3.1 objects the VTN keeps as documents: programs, BL-created events, vens, resources, reports and
subscriptions, each as its wire JSON, in the mock VTN's SQLite file beside the core's tables.

The tables have their own schema version (`openadr3_schema_version`) so the core's migrations and these
never collide. Everything is also held in memory; reads never touch the database.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from ven.openadr3.models import ObjectType

_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE openadr3_objects (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
                                   PRIMARY KEY (kind, id));
    CREATE TABLE openadr3_market_programs (market_context TEXT PRIMARY KEY, program_id TEXT NOT NULL);
    """,
)

Doc = dict[str, Any]


class ObjectStore:
    """Wire documents by kind and id, written through to SQLite."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._migrate()
        self._docs: dict[ObjectType, dict[str, Doc]] = {kind: {} for kind in ObjectType}
        for kind, object_id, body in db.execute("SELECT kind, id, body FROM openadr3_objects ORDER BY rowid"):
            self._docs[ObjectType(kind)][object_id] = json.loads(body)
        self._market_programs = dict(
            db.execute("SELECT market_context, program_id FROM openadr3_market_programs").fetchall()
        )

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS openadr3_schema_version (version INTEGER NOT NULL)")
        current = self._db.execute("SELECT MAX(version) FROM openadr3_schema_version").fetchone()[0] or 0
        for version, script in enumerate(_MIGRATIONS[current:], start=current + 1):
            stamp = f"INSERT INTO openadr3_schema_version VALUES ({int(version)});"  # noqa: S608 (our int)
            self._db.executescript(f"BEGIN; {script}; {stamp} COMMIT;")

    def all(self, kind: ObjectType) -> list[Doc]:
        return list(self._docs[kind].values())

    def get(self, kind: ObjectType, object_id: str) -> Doc | None:
        return self._docs[kind].get(object_id)

    def put(self, kind: ObjectType, doc: Doc) -> Doc:
        with self._db:
            self._db.execute(
                "INSERT INTO openadr3_objects VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET "
                "body=excluded.body",
                (kind.value, doc["id"], json.dumps(doc)),
            )
        self._docs[kind][doc["id"]] = doc
        return doc

    def delete(self, kind: ObjectType, object_id: str) -> Doc | None:
        with self._db:
            self._db.execute("DELETE FROM openadr3_objects WHERE kind=? AND id=?", (kind.value, object_id))
        return self._docs[kind].pop(object_id, None)

    def prune(self, kind: ObjectType, before: datetime) -> list[Doc]:
        """Delete the documents of `kind` last modified before `before` (retention); the deleted ones."""
        old = [
            d for d in self._docs[kind].values() if datetime.fromisoformat(d["modificationDateTime"]) < before
        ]
        with self._db:
            self._db.executemany(
                "DELETE FROM openadr3_objects WHERE kind=? AND id=?", [(kind.value, d["id"]) for d in old]
            )
        for doc in old:
            del self._docs[kind][doc["id"]]
        return old

    def market_program(self, market_context: str) -> str | None:
        return self._market_programs.get(market_context)

    def market_contexts(self) -> dict[str, str]:
        """program id → the market context whose events it holds."""
        return {program: context for context, program in self._market_programs.items()}

    def link_market_program(self, market_context: str, program_id: str) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO openadr3_market_programs VALUES (?, ?)", (market_context, program_id)
            )
        self._market_programs[market_context] = program_id

    def delete_readings_of(self, ven_id: str, report_id: str) -> None:
        """Readings derived from one 3.1 report (their r_id is `<report id>/<payload type>`)."""
        with self._db:
            self._db.execute(
                "DELETE FROM readings WHERE ven_id=? AND substr(r_id, 1, ?)=?",
                (ven_id, len(report_id) + 1, report_id + "/"),
            )
