"""The seam between the repositories and a database: portable SQL in, plain dict rows out.

Repositories write one SQL text for every backend, with named parameters (`:name`) and a few type tokens in
migrations (`{real}`, `{id}`, `{blob}`, `{strict}`); each backend renders them for its database. Backends are
found by URL scheme through the `v2x_ven.storage` entry-point group, as policies are.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol

from ven.storage.errors import StorageUrlError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from contextlib import AbstractContextManager
    from pathlib import Path


Row = dict[str, Any]
ENTRY_POINT_GROUP = "v2x_ven.storage"


@dataclass(frozen=True, slots=True)
class Dialect:
    """How a backend spells the few column types that differ between databases."""

    real: str  # a double-precision float
    id: str  # an auto-incremented integer primary key
    blob: str  # bytes
    strict: str  # table suffix that enforces declared types, where the database has one

    def render(self, sql: str) -> str:
        return sql.format(real=self.real, id=self.id, blob=self.blob, strict=self.strict)


class Connection(Protocol):
    """One connection inside one transaction."""

    def query(self, sql: str, params: Mapping[str, object] | None = None) -> list[Row]: ...

    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    def execute_many(self, sql: str, rows: Iterable[Mapping[str, object]]) -> int: ...


class VenLock(Protocol):
    """Held while a VEN process runs under a name; released by `release()` or by the process ending."""

    def held(self) -> bool:
        """Still held (PostgreSQL: the session holding it has not been cut)."""
        ...

    def reacquire(self) -> None:
        """Take it again after the connection holding it was lost; VenNameInUseError if another has it."""
        ...

    def release(self) -> None: ...


class Backend(ABC):
    """A database the store can use; every method is thread-safe."""

    dialect: Dialect
    location: str  # for messages: the file, or the URL without a password

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Connection]:
        """BEGIN … COMMIT (ROLLBACK on error); a nested call joins the outer transaction of its thread."""

    @abstractmethod
    def table_names(self, conn: Connection) -> set[str]:
        """Every table in the database (in our schema for PostgreSQL)."""

    def serialise_migrations(self, conn: Connection) -> None:  # noqa: B027 - optional hook
        """Make concurrent openers migrate one after the other (inside the opening transaction)."""

    @abstractmethod
    def lock_ven(self, ven_name: str) -> VenLock:
        """Take the VEN name for this process's life; VenNameInUseError if a running process has it."""

    @abstractmethod
    def ven_running(self, ven_name: str) -> bool:
        """Whether some process holds the VEN name now (without disturbing it)."""

    @abstractmethod
    def ping(self) -> None:
        """Reach the database (StorageUnavailableError when it cannot be reached)."""

    @abstractmethod
    def size_bytes(self) -> int:
        """The space the database uses now (bytes), for growth figures."""

    @abstractmethod
    def close(self) -> None: ...

    def query(self, sql: str, params: Mapping[str, object] | None = None) -> list[Row]:
        with self.transaction() as conn:
            return conn.query(sql, params)

    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> int:
        with self.transaction() as conn:
            return conn.execute(sql, params)

    def execute_many(self, sql: str, rows: Iterable[Mapping[str, object]]) -> int:
        with self.transaction() as conn:
            return conn.execute_many(sql, rows)

    def insert(self, sql: str, params: Mapping[str, object]) -> int | None:
        """Run one INSERT into a table with an `id` column; the new row's id."""
        with self.transaction() as conn:
            return int(conn.query(sql + " RETURNING id", params)[0]["id"])


class BackendFactory(Protocol):
    """What an entry point names: a class (or callable) opening its kind of URL."""

    def open_url(self, url: str, base_dir: str | Path | None) -> Backend: ...


def scheme_of(url: str) -> str:
    """The URL scheme (`sqlite`, `postgresql`); a plain path counts as SQLite (callers that resolved it)."""
    scheme, sep, _ = url.partition("://")
    if not sep:
        return "sqlite"
    return "postgresql" if scheme == "postgres" else scheme


def find_backend(scheme: str) -> BackendFactory:
    """The backend registered for a URL scheme; StorageUrlError naming the installed ones when none is."""
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if scheme not in found:
        known = ", ".join(f"{name}://" for name in sorted(found)) or "none installed"
        raise StorageUrlError(f"no storage backend for {scheme}:// URLs (known: {known})")
    factory: BackendFactory = found[scheme].load()
    return factory


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
