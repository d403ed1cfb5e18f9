"""VEN persistence in SQLite: registration, events and answers, dispatch, telemetry backlog, performance."""

from ven.storage.baselines import EventBaseline
from ven.storage.errors import NotAVenDatabaseError, SchemaTooNewError, StorageError, StorageUrlError
from ven.storage.migrations import LATEST_VERSION
from ven.storage.records import (
    FLEET_RESOURCE,
    DispatchDecision,
    EventRecord,
    EventStatus,
    OptAnswer,
    PerformanceRow,
    Registration,
    TelemetrySample,
)
from ven.storage.store import Store
from ven.storage.url import resolve_storage_path

__all__ = [
    "FLEET_RESOURCE",
    "LATEST_VERSION",
    "DispatchDecision",
    "EventBaseline",
    "EventRecord",
    "EventStatus",
    "NotAVenDatabaseError",
    "OptAnswer",
    "PerformanceRow",
    "Registration",
    "SchemaTooNewError",
    "StorageError",
    "StorageUrlError",
    "Store",
    "TelemetrySample",
    "resolve_storage_path",
]
