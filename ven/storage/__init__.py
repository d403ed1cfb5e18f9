"""VEN persistence (SQLite or PostgreSQL): registration, events and answers, dispatch, telemetry backlog,
performance, and the status of every VEN sharing the database."""

from ven.storage.baselines import EventBaseline
from ven.storage.errors import (
    NotAVenDatabaseError,
    SchemaTooNewError,
    StorageError,
    StorageUnavailableError,
    StorageUrlError,
    VenNameInUseError,
)
from ven.storage.fleet import fleet_json
from ven.storage.migrations import LATEST_VERSION
from ven.storage.records import (
    FLEET_RESOURCE,
    DispatchDecision,
    EventRecord,
    EventSummary,
    FleetEntry,
    OptAnswer,
    PerformanceRow,
    Registration,
    TelemetrySample,
    VenStatus,
)
from ven.storage.retention import Pruned, Retention
from ven.storage.store import Store
from ven.storage.url import resolve_storage_path

__all__ = [
    "FLEET_RESOURCE",
    "LATEST_VERSION",
    "DispatchDecision",
    "EventBaseline",
    "EventRecord",
    "EventSummary",
    "FleetEntry",
    "NotAVenDatabaseError",
    "OptAnswer",
    "PerformanceRow",
    "Pruned",
    "Registration",
    "Retention",
    "SchemaTooNewError",
    "StorageError",
    "StorageUnavailableError",
    "StorageUrlError",
    "Store",
    "TelemetrySample",
    "VenNameInUseError",
    "VenStatus",
    "fleet_json",
    "resolve_storage_path",
]
