"""Why the VEN's database could not be opened or used."""

from __future__ import annotations

from ven.errors import InputError, V2XError


class StorageError(V2XError):
    """The database cannot be opened, migrated or used."""


class StorageUrlError(StorageError, InputError):
    """`storage.url` is not something we can open (bad input: the CLI exits with code 2)."""


class SchemaTooNewError(StorageError):
    """The database was written by a newer v2x-ven; refusing to touch it rather than corrupt it."""


class NotAVenDatabaseError(StorageError):
    """The file is an SQLite database, but not one of ours."""


class StorageUnavailableError(StorageError):
    """The database cannot be reached now (a restart, a network cut); writes are buffered meanwhile."""


class VenNameInUseError(StorageError):
    """Another running process holds this VEN name on this database."""
