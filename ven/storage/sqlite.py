"""The embedded backend: one SQLite file (WAL, short transactions), a lock file per VEN name beside it.

Calls are synchronous and fast (microseconds to milliseconds), so the event loop thread may make them
directly. A re-entrant lock makes the connection safe to share with worker threads too. Several VEN
processes may share one file (WAL lets readers and one writer go on together).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import quote

from ven.storage.backend import Backend, Connection, Dialect, Row
from ven.storage.errors import StorageError, VenNameInUseError
from ven.storage.url import MEMORY, resolve_storage_path

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

BUSY_TIMEOUT_S = 5.0
LOCK_RETRY_S = 1.0  # a status probe holds a lock file for microseconds: ride over it before refusing

SQLITE = Dialect(real="REAL", id="INTEGER PRIMARY KEY", blob="BLOB", strict=" STRICT")


class _Connection:
    def __init__(self, conn: sqlite3.Connection, location: str) -> None:
        self._conn = conn
        self._location = location

    def query(self, sql: str, params: Mapping[str, object] | None = None) -> list[Row]:
        with self._errors():
            cursor = self._conn.execute(sql, params or {})
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> int:
        with self._errors():
            return self._conn.execute(sql, params or {}).rowcount

    def execute_many(self, sql: str, rows: Iterable[Mapping[str, object]]) -> int:
        with self._errors():
            return self._conn.executemany(sql, rows).rowcount

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:  # e.g. "database is locked" past the busy timeout, a full disk
            raise StorageError(f"{self._location}: {exc}") from exc


class SqliteBackend(Backend):
    dialect = SQLITE

    def __init__(self, path: str) -> None:
        self.location = path
        self._lock = threading.RLock()
        self._depth = 0
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so transactions are explicit and short.
            self._conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            if path != MEMORY:
                self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")  # durable across app crashes; WAL makes it safe
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StorageError(f"{path}: cannot open as a v2x-ven database: {exc}") from exc
        self._wrapped = _Connection(self._conn, path)

    @classmethod
    def open_url(cls, url: str, base_dir: str | Path | None) -> SqliteBackend:
        return cls(resolve_storage_path(url, base_dir))

    @contextmanager
    def transaction(self) -> Iterator[_Connection]:
        """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error); nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._wrapped
                finally:
                    self._depth -= 1
                return
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise StorageError(f"{self.location}: {exc}") from exc
            self._depth = 1
            try:
                yield self._wrapped
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def table_names(self, conn: Connection) -> set[str]:
        rows = conn.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(row["name"]) for row in rows if not str(row["name"]).startswith("sqlite_")}

    def lock_ven(self, ven_name: str) -> _FileLock:
        if self.location == MEMORY:
            return _FileLock(None)
        path = _lock_path(self.location, ven_name)
        path.parent.mkdir(exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
        deadline = time.monotonic() + LOCK_RETRY_S
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN) or time.monotonic() > deadline:
                    handle.close()
                    raise VenNameInUseError(
                        f"VEN {ven_name!r} is already running on {self.location} (lock file {path})"
                    ) from None
                time.sleep(0.02)
        handle.truncate(0)
        handle.write(f"{ven_name}\npid {os.getpid()}\n")
        handle.flush()
        return _FileLock(handle)

    def ven_running(self, ven_name: str) -> bool:
        if self.location == MEMORY:
            return False
        path = _lock_path(self.location, ven_name)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return False
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False

    def ping(self) -> None:
        with self._lock:
            self._conn.execute("SELECT 1")

    def size_bytes(self) -> int:
        """Pages in use (the file minus its free list) plus the WAL: what the data occupies now."""
        with self._lock:
            pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
            free = self._conn.execute("PRAGMA freelist_count").fetchone()[0]
            size = self._conn.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def vacuum(self) -> None:
        """Hand the free pages back to the file system (pruning only frees them for reuse)."""
        with self._lock:
            self._conn.execute("VACUUM")

    def close(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            with self._lock:
                conn.close()


class _FileLock:
    """flock on `<db>.vens/<name>.lock`: per open file, so probes never release it; gone with the process."""

    def __init__(self, handle: IO[str] | None) -> None:
        self._handle = handle

    def held(self) -> bool:
        return self._handle is not None and not self._handle.closed

    def reacquire(self) -> None:
        """A file lock is never lost while the process lives."""

    def release(self) -> None:
        if self._handle is not None and not self._handle.closed:
            with contextlib.suppress(OSError):
                fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()


def _lock_path(db_path: str, ven_name: str) -> Path:
    return Path(f"{db_path}.vens") / f"{quote(ven_name, safe='')}.lock"
