"""One SQLite connection for the VEN process: WAL mode, short transactions, migrations at open.

Calls are synchronous and fast (microseconds to milliseconds), so the event loop thread may make them
directly. A re-entrant lock makes the connection safe to share with worker threads too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from ven.storage.errors import NotAVenDatabaseError, SchemaTooNewError, StorageError
from ven.storage.migrations import LATEST_VERSION, apply_migrations, schema_version
from ven.storage.url import MEMORY

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from ven.clock import Clock

BUSY_TIMEOUT_S = 5.0


def to_db_time(when: datetime) -> str:
    """UTC ISO 8601 with fixed microseconds, so text order is time order."""
    if when.tzinfo is None:
        raise ValueError(f"refusing to store a naive datetime: {when!r}")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def optional_time(text: str | None) -> datetime | None:
    return None if text is None else from_db_time(text)


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return to_db_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def to_json(value: object) -> str:
    """Compact JSON; datetimes become UTC ISO strings, timedeltas seconds, enums their values."""
    return json.dumps(value, default=_json_default, separators=(",", ":"), allow_nan=False)


def from_json(text: str) -> Any:
    return json.loads(text)


class Database:
    """The connection, its lock, and transactions; repositories run their SQL through it."""

    def __init__(self, path: str, clock: Clock) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.RLock()
        self._depth = 0
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so transactions are explicit and short.
            self._conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            self._conn.row_factory = sqlite3.Row
            if path != MEMORY:
                self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")  # durable across app crashes; WAL makes it safe
            self.version = self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StorageError(f"{path}: cannot open as a v2x-ven database: {exc}") from exc
        except StorageError:
            self.close()
            raise

    def _migrate(self) -> int:
        with self.transaction() as conn:
            current = schema_version(conn)
            if current is None:
                raise NotAVenDatabaseError(f"{self.path}: an SQLite database, but not a v2x-ven one")
            if current > LATEST_VERSION:
                raise SchemaTooNewError(
                    f"{self.path}: schema version {current} is newer than this v2x-ven supports "
                    f"({LATEST_VERSION}); upgrade v2x-ven or point storage.url at another file"
                )
            return apply_migrations(conn, current, self.now_text())

    def now_text(self) -> str:
        return to_db_time(self.clock.now())

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error); nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        with self.transaction() as conn:
            return conn.execute(sql, params)

    def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        with self.transaction() as conn:
            return conn.executemany(sql, rows).rowcount

    def close(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            with self._lock:
                conn.close()
