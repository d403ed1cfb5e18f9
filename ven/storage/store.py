"""The VEN's persistent store: open `storage.url`, migrate, and hand out one repository per table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from ven.clock import SystemClock
from ven.storage.availability import OptRepository, OverrideRepository
from ven.storage.baselines import BaselineRepository
from ven.storage.db import Database
from ven.storage.events import EventRepository
from ven.storage.outcomes import DispatchRepository, PerformanceRepository
from ven.storage.registration import RegistrationRepository
from ven.storage.telemetry import TelemetryRepository
from ven.storage.url import resolve_storage_path

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from pathlib import Path
    from types import TracebackType

    from ven.clock import Clock


class Store:
    """Registration, events, dispatch decisions, telemetry and performance, in one SQLite file."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.registration = RegistrationRepository(db)
        self.events = EventRepository(db)
        self.dispatch = DispatchRepository(db)
        self.telemetry = TelemetryRepository(db)
        self.performance = PerformanceRepository(db)
        self.baselines = BaselineRepository(db)
        self.overrides = OverrideRepository(db)
        self.opts = OptRepository(db)

    @classmethod
    def open(cls, url: str | Path, *, base_dir: str | Path | None = None, clock: Clock | None = None) -> Self:
        """Open (creating or migrating as needed) the database `url` names; see resolve_storage_path.

        Raises StorageUrlError for a bad URL, SchemaTooNewError for a database from a newer v2x-ven,
        NotAVenDatabaseError / StorageError for a file that is not ours or not a database.
        """
        path = resolve_storage_path(url, base_dir)
        return cls(Database(path, clock if clock is not None else SystemClock()))

    @property
    def path(self) -> str:
        return self._db.path

    @property
    def schema_version(self) -> int:
        return self._db.version

    def transaction(self) -> AbstractContextManager[object]:
        """Group several repository calls into one transaction (all or nothing)."""
        return self._db.transaction()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
