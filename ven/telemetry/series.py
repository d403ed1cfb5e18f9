"""The VEN's measured history as points a protocol edge can report: (time, resource, quantity, value).

Usage (fleet and per-EV power, baseline, reduction) lives in the store, kept until the VTN acknowledged
it (store and forward). Status (online, owner overrides, power range, available reduction, stored energy;
per site and for the fleet) is kept in memory for a bounded time: it describes the present, and a
restarted VEN reports afresh.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from ven.storage import FLEET_RESOURCE, StorageUnavailableError

if TYPE_CHECKING:
    from ven.availability import Holds
    from ven.model.fleet import BoolArray, FloatArray
    from ven.storage import Store, TelemetrySample


class Quantity(StrEnum):
    USAGE = "usage"  # kW, measured (+ charging)
    BASELINE = "baseline"  # kW, the contract baseline
    DELTA_USAGE = "deltaUsage"  # kW, baseline − usage
    ONLINE = "online"  # 1 / 0
    AVAILABLE_REDUCTION = "availableReduction"  # kW, V2G export included
    AVAILABLE_CURTAILMENT = "availableCurtailment"  # kW, curtailment only
    STORED_ENERGY = "storedEnergy"  # kWh in plugged-in EVs
    ENERGY_ABOVE_RESERVE = "energyAboveReserve"  # kWh
    STATUS = "status"  # a ResourceStatus
    SOC = "soc"  # fraction 0-1, the fleet's mean state of charge (3.1 STORAGE_CHARGE_LEVEL)


@dataclass(frozen=True, slots=True)
class ResourceStatus:
    """A resource's state now: online, under an owner override, and its power range (kW)."""

    online: bool
    manual_override: bool
    power_kw: float  # measured now
    baseline_kw: float  # what it would draw uncontrolled, from its state now
    min_power_kw: float  # lowest safe power (baseline − available reduction; negative = export)
    max_power_kw: float  # highest (every usable EV at its charge limit, room permitting)


@dataclass(frozen=True, slots=True)
class Point:
    ts: datetime
    resource: str
    quantity: Quantity
    value: float | ResourceStatus
    duration: timedelta | None = None  # a projection's step


Key = tuple[str, Quantity]  # (resource, quantity)

_USAGE_FIELDS = {
    Quantity.USAGE: "usage_kw",
    Quantity.BASELINE: "baseline_kw",
    Quantity.DELTA_USAGE: "delta_kw",
    Quantity.SOC: "soc",
}


class UsageHistory:
    """Usage points from the store; `mark_reported` once the VTN has everything before a time. While the
    database cannot be reached there is nothing to report (the backlog waits in it)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def points(self, keys: Collection[Key], since: datetime, until: datetime) -> list[Point]:
        wanted = set(keys)
        resources = {resource for resource, _ in wanted}
        only = next(iter(resources)) if len(resources) == 1 else None
        try:
            samples = self._store.telemetry.between(since, until, resource=only)
        except StorageUnavailableError:
            return []
        return [point for sample in samples for point in _usage_points(sample, wanted)]

    def oldest_unreported(self) -> datetime | None:
        try:
            found = self._store.telemetry.unreported(limit=1, resource=FLEET_RESOURCE)
        except StorageUnavailableError:
            return None
        return found[0].ts if found else None

    def mark_reported(self, until: datetime) -> int:
        try:
            return self._store.telemetry.mark_reported_before(until)
        except StorageUnavailableError:  # buffered writes replay later; reads failed: marked next time
            return 0


def _usage_points(sample: TelemetrySample, wanted: set[Key]) -> Iterable[Point]:
    for quantity, field in _USAGE_FIELDS.items():
        value = getattr(sample, field)
        if value is not None and (sample.resource, quantity) in wanted:
            yield Point(sample.ts, sample.resource, quantity, float(value))


class ResourceStatuses(Mapping[str, ResourceStatus]):
    """Each site's ResourceStatus at one instant, and the fleet's (FLEET_RESOURCE), kept as the per-site
    columns they are computed as: a record is made only when something reads it (a TELEMETRY_STATUS
    report, the tests). Thousands of sites sampled every period made these records a season's largest
    cost and the status log's largest memory."""

    __slots__ = ("_columns", "_fleet", "_holds", "_index", "_online")

    def __init__(
        self,
        index: Mapping[str, int],
        online: BoolArray,
        columns: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
        holds: Holds,
        fleet: ResourceStatus,
    ) -> None:
        self._index = index  # site -> row, shared by every sample of one fleet
        self._online = online
        self._columns = columns  # power, baseline, min power, max power (kW), one row per site
        self._holds = holds
        self._fleet = fleet

    def __getitem__(self, resource: str) -> ResourceStatus:
        if resource == FLEET_RESOURCE:
            return self._fleet
        k = self._index[resource]
        power, baseline, low, high = (float(column[k]) for column in self._columns)
        return ResourceStatus(
            bool(self._online[k]), self._holds.overridden(resource), power, baseline, low, high
        )

    def __iter__(self) -> Iterator[str]:
        yield from (site for site in self._index if site != FLEET_RESOURCE)
        yield FLEET_RESOURCE

    def __len__(self) -> int:
        return len(self._index) + (FLEET_RESOURCE not in self._index)


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    ts: datetime
    values: dict[Key, float | ResourceStatus]
    statuses: Mapping[str, ResourceStatus] | None = None  # (resource, STATUS) values, looked up when read

    def value(self, key: Key) -> float | ResourceStatus | None:
        found = self.values.get(key)
        if found is None and key[1] is Quantity.STATUS and self.statuses is not None:
            return self.statuses.get(key[0])
        return found


class StatusLog:
    """The latest status snapshots: those of the last `keep` (a day), at most `capacity` of them (a day
    at 10 s), oldest dropped first. Bounded by time as well as by count: sampled every 15 minutes, 8,640
    snapshots of 4,000 sites were three months and over a gigabyte, for reports that look back a day."""

    def __init__(self, capacity: int = 8640, keep: timedelta = timedelta(days=1)) -> None:
        self._snapshots: deque[StatusSnapshot] = deque(maxlen=capacity)
        self._keep = keep

    def add(self, snapshot: StatusSnapshot) -> None:
        snapshots = self._snapshots
        snapshots.append(snapshot)
        oldest = snapshot.ts - self._keep
        while snapshots[0].ts < oldest:
            snapshots.popleft()

    @property
    def latest(self) -> StatusSnapshot | None:
        return self._snapshots[-1] if self._snapshots else None

    def points(self, keys: Collection[Key], since: datetime, until: datetime) -> list[Point]:
        wanted = list(dict.fromkeys(keys))
        return [
            Point(snapshot.ts, resource, quantity, value)
            for snapshot in self._snapshots
            if since <= snapshot.ts < until
            for resource, quantity in wanted
            if (value := snapshot.value((resource, quantity))) is not None
        ]
