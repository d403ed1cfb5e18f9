"""The VEN's persistent store: open `storage.url`, migrate, and hand out one repository per table.

Every repository reads and writes only the rows of one VEN name, so many VENs can share a database.
`claim()` holds that name for the process's life. See ven.storage.buffer for database outages.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

from ven.clock import SystemClock
from ven.storage.availability import OptRepository, OverrideRepository
from ven.storage.backend import find_backend, scheme_of
from ven.storage.baselines import BaselineRepository
from ven.storage.buffer import BufferedBackend
from ven.storage.db import Scope, to_db_time
from ven.storage.errors import NotAVenDatabaseError, SchemaTooNewError, StorageError, StorageUnavailableError
from ven.storage.events import EventRepository
from ven.storage.evsets import EvSets
from ven.storage.fleet import FleetRepository, VenStatusRepository
from ven.storage.migrations import LATEST_VERSION, apply_migrations, schema_version
from ven.storage.outcomes import DispatchRepository, PerformanceRepository
from ven.storage.registration import RegistrationRepository
from ven.storage.retention import Pruned, Retention
from ven.storage.telemetry import TelemetryRepository

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from datetime import datetime
    from pathlib import Path
    from types import TracebackType

    from ven.clock import Clock
    from ven.storage.backend import Backend, VenLock

logger = logging.getLogger(__name__)

_OWNED_TABLES = (
    "events",
    "ev_sets",
    "dispatch",
    "telemetry",
    "performance",
    "event_baselines",
    "overrides",
    "opts",
)


class Store:
    """Registration, events, dispatch decisions, telemetry, baselines and performance of one VEN."""

    def __init__(self, backend: BufferedBackend, ven_name: str, clock: Clock, version: int) -> None:
        self._backend = backend
        self._version = version
        self.ven_name = ven_name
        self.clock = clock
        scope = Scope(backend, ven_name, clock)
        self._ev_sets = EvSets(scope)
        self.registration = RegistrationRepository(scope)
        self.events = EventRepository(scope)
        self.dispatch = DispatchRepository(scope, self._ev_sets)
        self.telemetry = TelemetryRepository(scope)
        self.performance = PerformanceRepository(scope)
        self.baselines = BaselineRepository(scope, self._ev_sets)
        self.status = VenStatusRepository(scope)
        self.overrides = OverrideRepository(scope)
        self.opts = OptRepository(scope)
        self.fleet = FleetRepository(backend)
        self._lock: VenLock | None = None

    @classmethod
    def open(
        cls,
        url: str | Path,
        *,
        base_dir: str | Path | None = None,
        clock: Clock | None = None,
        ven_name: str | None = None,
        migrate: bool = True,
    ) -> Self:
        """Open (creating or migrating as needed) the database `url` names, for VEN `ven_name`.

        Without a name: the database's only VEN (or the unnamed one of a new or pre-v5 database).
        Raises StorageUrlError for a bad URL, SchemaTooNewError for a database from a newer v2x-ven,
        NotAVenDatabaseError / StorageError for one that is not ours, StorageUnavailableError for a
        server that cannot be reached.
        """
        text = str(url)
        inner = find_backend(scheme_of(text)).open_url(text, base_dir)
        clock = clock if clock is not None else SystemClock()
        try:
            version = _migrate(inner, to_db_time(clock.now()), migrate=migrate)
            name = ven_name if ven_name is not None else _sole_ven(inner)
        except BaseException:
            inner.close()
            raise
        return cls(BufferedBackend(inner), name, clock, version)

    @property
    def path(self) -> str:
        """Where the data lives: the SQLite file, or the PostgreSQL URL without its password."""
        return self._backend.location

    @property
    def schema_version(self) -> int:
        return self._version

    @property
    def unavailable(self) -> bool:
        """The database is unreachable now; writes are buffered (see ven.storage.buffer)."""
        return self._backend.unavailable

    @property
    def buffered_writes(self) -> int:
        return self._backend.buffered

    @property
    def writes(self) -> int:
        """Write statements this store has made since it was opened."""
        return self._backend.writes

    def claim(self) -> None:
        """Hold this VEN's name for the process's life; adopt a pre-v5 database's rows; mark it started.

        Raises VenNameInUseError when a running process holds the name on this database.
        """
        self._lock = self._backend.lock_ven(self.ven_name)
        try:
            self._adopt_unnamed()
            self.status.started()
        except BaseException:
            self._lock.release()
            self._lock = None
            raise

    def recover(self) -> bool:
        """Reconnect and replay buffered writes (blocking: call it off the event loop); True when in sync.

        After an outage the VEN name is taken again; VenNameInUseError if another process took it meanwhile.
        """
        if not self._backend.flush():
            return False
        if self._lock is None or self._lock.held():
            return True
        logger.warning(
            "%s: the lock on VEN %r went with its connection; taking it again", self.path, self.ven_name
        )
        try:
            self._lock.reacquire()
        except StorageUnavailableError as err:  # the server is going down, or not back yet: try again later
            self._backend.degrade(err)
            return False
        return True

    def prune(self, retention: Retention, now: datetime | None = None) -> Pruned:
        """Delete what `retention` no longer keeps; never telemetry the VTN lacks, nor pending events."""
        now = self.clock.now() if now is None else now
        pruned = Pruned(
            telemetry=self.telemetry.prune(now - retention.telemetry),
            dispatch=self.dispatch.prune(now - retention.dispatch),
            baselines=self.baselines.prune(now - retention.baselines),
            performance=self.performance.prune(now - retention.performance),
            events=self.events.prune(now - retention.events),
        )
        return Pruned(**{**_fields(pruned), "ev_sets": self._ev_sets.prune()})

    def size_bytes(self) -> int:
        """What the database occupies now (every VEN in it)."""
        return self._backend.size_bytes()

    def transaction(self) -> AbstractContextManager[object]:
        """Group several repository calls into one transaction (all or nothing)."""
        return self._backend.transaction()

    def close(self) -> None:
        if self._lock is not None:
            try:
                self.status.stopped()
            except StorageError:
                logger.warning("%s: could not mark VEN %r stopped", self.path, self.ven_name)
            self._lock.release()
            self._lock = None
        self._backend.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _adopt_unnamed(self) -> None:
        """Rows of a database from before v5 (one VEN, no names) become the first claiming VEN's."""
        if not self.ven_name:
            return
        with self._backend.transaction() as conn:
            named = {"ven": self.ven_name}
            if conn.query("SELECT 1 AS one FROM vens WHERE ven = :ven", named):
                return
            if conn.execute("UPDATE vens SET ven = :ven WHERE ven = ''", named) == 0:
                conn.execute("INSERT INTO vens (ven) VALUES (:ven)", named)
            for table in _OWNED_TABLES:
                conn.execute(f"UPDATE {table} SET ven = :ven WHERE ven = ''", named)  # noqa: S608 - constant


def _fields(pruned: Pruned) -> dict[str, int]:
    return {name: getattr(pruned, name) for name in Pruned.__dataclass_fields__}


def _migrate(backend: Backend, now_text: str, *, migrate: bool) -> int:
    with backend.transaction() as conn:
        backend.serialise_migrations(conn)
        current = schema_version(backend, conn)
        if current is None:
            raise NotAVenDatabaseError(f"{backend.location}: a database, but not a v2x-ven one")
        if current > LATEST_VERSION:
            raise SchemaTooNewError(
                f"{backend.location}: schema version {current} is newer than this v2x-ven supports "
                f"({LATEST_VERSION}); upgrade v2x-ven or point storage.url at another database"
            )
        if current < LATEST_VERSION and not migrate:
            raise StorageError(
                f"{backend.location}: schema version {current}; start a VEN of this version on it first"
            )
        return apply_migrations(backend, conn, current, now_text)


def _sole_ven(backend: Backend) -> str:
    names = [str(row["ven"]) for row in backend.query("SELECT ven FROM vens ORDER BY ven")]
    if len(names) > 1:
        shown = ", ".join(repr(n) for n in names[:5])
        raise StorageError(f"{backend.location} holds several VENs ({shown}…): name the one to open")
    return names[0] if names else ""
