"""Enrolled EVs as immutable records, and the fleet as read-only column arrays for vectorised policies."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from ven.model.routine import Routine

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class EV:
    """One enrolled vehicle, as the enrollment file describes it (CONTRACT.md, fleet enrollment file)."""

    ev_id: str
    site: str
    capacity_kwh: float
    soc: float
    max_charge_kw: float
    max_discharge_kw: float = 0.0
    min_soc: float = 0.2
    target_soc: float = 1.0
    departure: datetime | None = None
    departure_soc: float = 0.8
    efficiency: float = 0.92
    plugged_in: bool = True
    priority: int = 0
    charger_id: str = ""
    routine: Routine | None = None  # the habit `departure` came from, when given as a local time of day

    def __post_init__(self) -> None:
        if not self.charger_id:
            object.__setattr__(self, "charger_id", self.ev_id)


_EV_FIELDS = tuple(f.name for f in fields(EV))


def changed(ev: EV, **values: object) -> EV:
    """`ev` with some fields changed: what dataclasses.replace does, without re-running __init__ (its
    cost dominates at 10,000 EVs). The values must be valid for their fields."""
    copy = object.__new__(EV)
    for name in _EV_FIELDS:
        object.__setattr__(copy, name, values[name] if name in values else getattr(ev, name))
    return copy


def _with(ev: EV, soc: float, plugged_in: bool) -> EV:
    if ev.soc == soc and ev.plugged_in == plugged_in:
        return ev
    return changed(ev, soc=soc, plugged_in=plugged_in)


def _frozen(values: Iterable[float] | Iterable[bool] | Iterable[int], dtype: type) -> npt.NDArray[np.generic]:
    array: npt.NDArray[np.generic] = np.fromiter(values, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class Fleet:
    """A snapshot of the fleet: the EV records plus the same data as read-only numpy columns.

    Policies see only this (and the request); arrays are aligned with `evs` by index.
    """

    evs: tuple[EV, ...]
    capacity_kwh: FloatArray = field(init=False, repr=False)
    soc: FloatArray = field(init=False, repr=False)
    max_charge_kw: FloatArray = field(init=False, repr=False)
    max_discharge_kw: FloatArray = field(init=False, repr=False)
    min_soc: FloatArray = field(init=False, repr=False)
    target_soc: FloatArray = field(init=False, repr=False)
    departure_ts: FloatArray = field(init=False, repr=False)
    departure_soc: FloatArray = field(init=False, repr=False)
    efficiency: FloatArray = field(init=False, repr=False)
    plugged_in: BoolArray = field(init=False, repr=False)
    priority: IntArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        evs = self.evs
        columns: dict[str, npt.NDArray[np.generic]] = {
            "capacity_kwh": _frozen((e.capacity_kwh for e in evs), np.float64),
            "soc": _frozen((e.soc for e in evs), np.float64),
            "max_charge_kw": _frozen((e.max_charge_kw for e in evs), np.float64),
            "max_discharge_kw": _frozen((e.max_discharge_kw for e in evs), np.float64),
            "min_soc": _frozen((e.min_soc for e in evs), np.float64),
            "target_soc": _frozen((e.target_soc for e in evs), np.float64),
            # Departure as POSIX seconds; +inf = stays beyond any horizon.
            "departure_ts": _frozen(
                (e.departure.timestamp() if e.departure is not None else math.inf for e in evs), np.float64
            ),
            "departure_soc": _frozen((e.departure_soc for e in evs), np.float64),
            "efficiency": _frozen((e.efficiency for e in evs), np.float64),
            "plugged_in": _frozen((e.plugged_in for e in evs), np.bool_),
            "priority": _frozen((e.priority for e in evs), np.int64),
        }
        for name, column in columns.items():
            object.__setattr__(self, name, column)

    def __len__(self) -> int:
        return len(self.evs)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(e.ev_id for e in self.evs)

    @property
    def energy_kwh(self) -> FloatArray:
        """Stored energy now, kWh."""
        return self.soc * self.capacity_kwh

    def index(self, ev_id: str) -> int:
        for i, ev in enumerate(self.evs):
            if ev.ev_id == ev_id:
                return i
        raise KeyError(ev_id)

    def with_state(
        self,
        soc: Sequence[float] | FloatArray | None = None,
        plugged_in: Sequence[bool] | BoolArray | None = None,
    ) -> Fleet:
        """The same fleet with measured SOC and/or plug state; how the runtime re-plans from measurements."""
        if soc is None and plugged_in is None:
            return self
        socs = [float(v) for v in soc] if soc is not None else [ev.soc for ev in self.evs]
        plugged = (
            [bool(v) for v in plugged_in] if plugged_in is not None else [ev.plugged_in for ev in self.evs]
        )
        # Copies made field by field: dataclasses.replace re-runs __init__ per EV (the cost at 10,000 EVs).
        return Fleet(tuple(_with(ev, s, p) for ev, s, p in zip(self.evs, socs, plugged, strict=True)))

    def departing_earlier(self, by: timedelta) -> Fleet:
        """The same fleet with every departure moved `by` earlier (a safety margin for late commands)."""
        if not by:
            return self
        return Fleet(
            tuple(ev if ev.departure is None else replace(ev, departure=ev.departure - by) for ev in self.evs)
        )

    def rolled(self, now: datetime) -> Fleet:
        """The same fleet with each routine's departure moved to the one that governs `now` (a VEN runs for
        days: yesterday's 06:15 departure is today's); EVs without a routine are unchanged."""
        changed = False
        evs = list(self.evs)
        governing: dict[Routine, datetime] = {}  # EVs on the same routine share one computation
        for i, ev in enumerate(evs):
            if ev.routine is None:
                continue
            departure = governing.get(ev.routine)
            if departure is None:
                departure = governing[ev.routine] = ev.routine.current_departure(now).astimezone(UTC)
            if departure != ev.departure:
                evs[i] = replace(ev, departure=departure)
                changed = True
        return Fleet(tuple(evs)) if changed else self

    def subset(self, mask: BoolArray) -> Fleet:
        return Fleet(tuple(ev for ev, keep in zip(self.evs, mask, strict=True) if keep))
