"""The charger gateway seam: how the VEN runtime commands chargers and reads them back.

One small async interface, whatever sits behind it (the simulated fleet, OCPP charge points). Powers are
signed as CONTRACT.md says: `power_kw > 0` charging, `< 0` discharging. A setpoint is a command to one EV's
charger; `release` hands the EV back to its own unmanaged (baseline) charging.

Every setpoint carries its own end (`valid_until`): a charger that hears nothing newer by then returns to
baseline behaviour by itself, so a VEN that stalls, dies or loses the network never leaves an EV
discharging or curtailed for longer than that (docs/safety.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from datetime import datetime

    import numpy.typing as npt

    from ven.model.fleet import BoolArray, Fleet, FloatArray, IntArray

__all__ = [
    "ApplyResult",
    "ChargerGateway",
    "EVReading",
    "EventCallback",
    "FleetReading",
    "GatewayEvent",
    "GatewayEventKind",
    "KnowsFleet",
    "RejectReason",
    "Rejection",
    "Subscribers",
]


class RejectReason(StrEnum):
    """Why a setpoint (or release) did not reach an EV."""

    UNKNOWN_EV = "unknown_ev"
    NOT_PLUGGED_IN = "not_plugged_in"
    OFFLINE = "offline"
    REJECTED = "rejected"  # the charger answered, and said no
    INVALID = "invalid"  # not a finite number


@dataclass(frozen=True, slots=True)
class Rejection:
    ev_id: str
    reason: RejectReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """Which EVs took the command and which did not (with why)."""

    accepted: tuple[str, ...]
    rejected: tuple[Rejection, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def rejected_ids(self) -> frozenset[str]:
        return frozenset(r.ev_id for r in self.rejected)


@dataclass(frozen=True, slots=True)
class EVReading:
    """One EV as its charger last reported it."""

    ev_id: str
    power_kw: float
    soc: float  # NaN when the charger does not report SOC
    plugged_in: bool
    online: bool
    setpoint_kw: float | None  # None: no setpoint, the EV charges on its own (baseline)
    fault: str | None


def _frozen_copy(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    array = np.array(values, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class FleetReading:
    """A snapshot of every EV behind the gateway, as read-only columns aligned with `ev_ids`.

    Columns (not one object per EV) so the runtime can feed them straight into `Fleet.with_state` and into
    vectorised policies for 10,000 EVs; iterate or call `ev()` for per-EV records.
    """

    timestamp: datetime
    ev_ids: tuple[str, ...]
    power_kw: FloatArray
    soc: FloatArray  # NaN where unknown
    plugged_in: BoolArray
    online: BoolArray
    setpoint_kw: FloatArray  # NaN where no setpoint is in force
    faults: Mapping[str, str] = field(default_factory=dict)  # ev_id -> description, faulty EVs only

    def __post_init__(self) -> None:
        size = len(self.ev_ids)
        for name in ("power_kw", "soc", "plugged_in", "online", "setpoint_kw"):
            column = _frozen_copy(getattr(self, name))
            if column.shape != (size,):
                raise ValueError(f"reading column {name} has shape {column.shape}, expected ({size},)")
            object.__setattr__(self, name, column)
        object.__setattr__(self, "faults", dict(self.faults))

    def __len__(self) -> int:
        return len(self.ev_ids)

    def __iter__(self) -> Iterator[EVReading]:
        return (self._record(i) for i in range(len(self.ev_ids)))

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {ev_id: i for i, ev_id in enumerate(self.ev_ids)}

    def index(self, ev_id: str) -> int:
        return self._positions[ev_id]

    def positions(self, ev_ids: tuple[str, ...]) -> IntArray:
        """Where each of `ev_ids` is in this reading (a gateway may list EVs in its own order)."""
        if ev_ids == self.ev_ids:
            return np.arange(len(ev_ids), dtype=np.int64)
        return np.fromiter((self._positions[ev_id] for ev_id in ev_ids), dtype=np.int64, count=len(ev_ids))

    def ev(self, ev_id: str) -> EVReading:
        return self._record(self._positions[ev_id])

    def _record(self, i: int) -> EVReading:
        setpoint = float(self.setpoint_kw[i])
        return EVReading(
            ev_id=self.ev_ids[i],
            power_kw=float(self.power_kw[i]),
            soc=float(self.soc[i]),
            plugged_in=bool(self.plugged_in[i]),
            online=bool(self.online[i]),
            setpoint_kw=None if math.isnan(setpoint) else setpoint,
            fault=self.faults.get(self.ev_ids[i]),
        )

    @property
    def total_power_kw(self) -> float:
        """Measured fleet net power (the fleet's `usage`), kW."""
        return float(np.nansum(self.power_kw))

    @property
    def charging_kw(self) -> float:
        return float(np.nansum(np.maximum(self.power_kw, 0.0)))

    @property
    def discharging_kw(self) -> float:
        """Power exported by discharging EVs, kW (≥ 0)."""
        return float(np.nansum(np.maximum(-self.power_kw, 0.0)))

    @property
    def plugged_in_count(self) -> int:
        return int(np.count_nonzero(self.plugged_in))

    @property
    def online_count(self) -> int:
        return int(np.count_nonzero(self.online))


class GatewayEventKind(StrEnum):
    PLUGGED_IN = "plugged_in"
    PLUGGED_OUT = "plugged_out"
    OFFLINE = "offline"  # the charger stopped talking; its readings are stale
    ONLINE = "online"
    FAULT = "fault"  # online but refusing commands
    FAULT_CLEARED = "fault_cleared"
    DRIFT = "drift"  # measured power stays away from the setpoint (full battery, EV limit, ...)


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    """A change the runtime should react to (typically by re-reading and re-dispatching)."""

    kind: GatewayEventKind
    ev_id: str
    timestamp: datetime
    detail: str = ""


EventCallback = Callable[[GatewayEvent], None]


@runtime_checkable
class ChargerGateway(Protocol):
    """What the runtime needs from chargers; the simulated fleet and the OCPP backend both provide it."""

    async def start(self) -> None:
        """Begin serving (open connections, start background work)."""

    async def close(self) -> None:
        """Stop background work and release resources; safe to call twice."""

    async def apply(self, setpoints: Mapping[str, float], *, valid_until: datetime) -> ApplyResult:
        """Command ev_id -> power_kw until `valid_until`, then baseline behaviour unless a newer one came.

        Setpoints beyond an EV's limits are limited by the charger.
        """
        ...

    async def release(self, ev_ids: Iterable[str] | None = None) -> ApplyResult:
        """Drop the setpoints of `ev_ids` (all when None): the EVs return to unmanaged charging."""
        ...

    async def read(self) -> FleetReading:
        """The latest measurements of every EV."""
        ...

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Call `callback` for every GatewayEvent from now on; returns the unsubscribe function."""
        ...


class Subscribers:
    """The callback list behind `subscribe`, for gateway implementations to share.

    A callback that raises is a bug in the caller: the exception propagates, never swallowed.
    """

    def __init__(self) -> None:
        self._callbacks: list[EventCallback] = []

    def add(self, callback: EventCallback) -> Callable[[], None]:
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    def emit(self, events: Iterable[GatewayEvent]) -> None:
        for event in events:
            for callback in tuple(self._callbacks):
                callback(event)


@runtime_checkable
class KnowsFleet(Protocol):
    """A gateway whose chargers report their EVs (departure, target SOC, limits) beyond the enrollment."""

    def fleet(self) -> Fleet:
        """The enrolled fleet with what the chargers reported applied, in enrollment order."""
        ...
