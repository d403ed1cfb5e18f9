"""Writes that outlive a database outage: buffered in memory, in order, and replayed once it is back.

When a write finds the database unreachable (PostgreSQL restarting, the network cut), the store turns
*unavailable*: from then on every write goes to an in-memory queue at once (no call waits on a dead
server), and every read raises StorageUnavailableError, which the runtime's few read paths handle (dispatch
goes on from memory). `flush()`, called by the runtime off the event loop, reconnects and replays the
queue in order; reads come back only once the database has every buffered write, so nothing read is stale.
A transaction that failed half-way is replayed whole. Replays are safe to repeat: each write is an upsert,
an insert that ignores a duplicate, or an idempotent update.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ven.storage.backend import Backend, Connection, Row
from ven.storage.errors import StorageUnavailableError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from contextlib import AbstractContextManager

    from ven.storage.backend import VenLock

logger = logging.getLogger(__name__)

BUFFERED = -1  # the rowcount of a buffered write: not known until it is replayed
_REPLAY_GROUPS = 200  # buffered groups per replay transaction


@dataclass(frozen=True, slots=True)
class _Write:
    sql: str
    params: Mapping[str, object] | list[Mapping[str, object]]
    many: bool = False

    def run(self, conn: Connection) -> None:
        if self.many:
            conn.execute_many(self.sql, self.params)  # type: ignore[arg-type]
        else:
            conn.execute(self.sql, self.params)  # type: ignore[arg-type]


@dataclass
class _Recorder:
    """A transaction's connection that remembers its writes, and queues the rest once the link fails."""

    conn: Connection | None = None
    writes: list[_Write] = field(default_factory=list)
    failed: bool = False
    count: int = 0  # write statements made through this recorder

    def query(self, sql: str, params: Mapping[str, object] | None = None) -> list[Row]:
        if self.failed or self.conn is None:
            raise StorageUnavailableError("the database is unreachable; writes are buffered")
        try:
            return self.conn.query(sql, params)
        except StorageUnavailableError:
            self.failed = True
            raise

    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> int:
        write = _Write(sql, dict(params or {}))
        return self._run(write, lambda conn: conn.execute(sql, params))

    def execute_many(self, sql: str, rows: Iterable[Mapping[str, object]]) -> int:
        listed = list(rows)
        return self._run(_Write(sql, listed, many=True), lambda conn: conn.execute_many(sql, listed))

    def insert(self, sql: str, params: Mapping[str, object]) -> int | None:
        write = _Write(sql, dict(params))
        result = self._run(write, lambda conn: int(conn.query(sql + " RETURNING id", params)[0]["id"]))
        return None if result == BUFFERED else result

    def _run(self, write: _Write, action: object) -> int:
        self.writes.append(write)
        self.count += 1
        if self.failed or self.conn is None:
            return BUFFERED
        try:
            return action(self.conn)  # type: ignore[operator, no-any-return]
        except StorageUnavailableError:
            self.failed = True
            return BUFFERED


class _Local(threading.local):
    recorder: _Recorder | None = None


class BufferedBackend(Backend):
    """Wraps a backend; see the module docstring. Thread-safe."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.dialect = inner.dialect
        self.location = inner.location
        self._queue: deque[list[_Write]] = deque()
        self._lock = threading.Lock()
        self._unavailable = False
        self._local = _Local()
        self.outages = 0
        self.replayed_writes = 0
        self.writes = 0  # write statements since start (buffered ones included), for figures

    @property
    def unavailable(self) -> bool:
        return self._unavailable

    @property
    def buffered(self) -> int:
        """Writes waiting for the database."""
        with self._lock:
            return sum(len(group) for group in self._queue)

    @contextmanager
    def transaction(self) -> Iterator[_Recorder]:
        current = self._local.recorder
        if current is not None:  # nested: join the outer block, so a replay replays all of it
            yield current
            return
        opened: _Recorder | None = None
        try:
            with self._transaction() as opened:
                self._local.recorder = opened
                yield opened
        finally:
            self._local.recorder = None
            if opened is not None:
                self.writes += opened.count

    @contextmanager
    def _transaction(self) -> Iterator[_Recorder]:
        if not self._unavailable:
            recorder = _Recorder()
            begun = completed = False
            try:
                with self.inner.transaction() as conn:
                    recorder.conn, begun = conn, True
                    yield recorder
                    completed = True
                    if recorder.failed:  # roll back what went through; the whole block is replayed later
                        raise StorageUnavailableError("a write failed: replaying the transaction later")  # noqa: TRY301
            except StorageUnavailableError as err:
                self.degrade(err)
                if begun and not completed:  # the block itself failed (a read): it is abandoned, as on error
                    raise
                if completed:  # a write or the commit failed: replay every write the block made
                    self._enqueue(recorder.writes)
                    return
            else:
                return
            # the transaction could not even begin: run the block in buffered mode
        queued = _Recorder(failed=True)
        yield queued
        self._enqueue(queued.writes)

    def query(self, sql: str, params: Mapping[str, object] | None = None) -> list[Row]:
        if self._unavailable:
            raise StorageUnavailableError(f"{self.location}: unreachable; writes are buffered")
        try:
            return self.inner.query(sql, params)
        except StorageUnavailableError as err:
            self.degrade(err)
            raise

    def insert(self, sql: str, params: Mapping[str, object]) -> int | None:
        with self.transaction() as conn:
            return conn.insert(sql, params)

    def flush(self) -> bool:
        """Replay buffered writes if the database is back; True once it has them all (or had no outage)."""
        if not self._unavailable:
            return True
        try:
            self.inner.ping()
        except StorageUnavailableError:
            return False
        while True:
            with self._lock:
                if not self._queue:
                    self._unavailable = False
                    logger.warning("%s: reachable again; buffered writes replayed", self.location)
                    return True
                batch = [self._queue[i] for i in range(min(_REPLAY_GROUPS, len(self._queue)))]
            try:
                with self.inner.transaction() as conn:
                    for group in batch:
                        for write in group:
                            write.run(conn)
            except StorageUnavailableError:
                return False
            with self._lock:
                for _ in batch:
                    self._queue.popleft()
                self.replayed_writes += sum(len(group) for group in batch)

    def degrade(self, err: BaseException) -> None:
        """Buffer from now on: the database was found unreachable."""
        with self._lock:
            if not self._unavailable:
                self.outages += 1
                logger.warning("%s: %s; buffering writes until it is back", self.location, err)
            self._unavailable = True

    def _enqueue(self, writes: list[_Write]) -> None:
        if writes:
            with self._lock:
                self._queue.append(writes)

    def table_names(self, conn: Connection) -> set[str]:
        return self.inner.table_names(conn)

    def lock_ven(self, ven_name: str) -> VenLock:
        return self.inner.lock_ven(ven_name)

    def ven_running(self, ven_name: str) -> bool:
        if self._unavailable:
            raise StorageUnavailableError(f"{self.location}: unreachable")
        return self.inner.ven_running(ven_name)

    def ping(self) -> None:
        self.inner.ping()

    def size_bytes(self) -> int:
        return self.inner.size_bytes()

    def close(self) -> None:
        self.inner.close()

    def raw(self) -> AbstractContextManager[Connection]:
        """A transaction straight on the database (migrations at open: no buffering)."""
        return self.inner.transaction()
