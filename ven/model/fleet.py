"""Enrolled EVs as immutable records, and the fleet as read-only column arrays for vectorised policies."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import cached_property

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


@dataclass(frozen=True)
class SiteGroups:
    """A fleet's sites as np.unique groups them: sorted names, and each EV's position among them (for
    per-site sums with np.bincount)."""

    of_ev: tuple[str, ...]  # each EV's site, in fleet order
    names: tuple[str, ...]  # the distinct sites, sorted
    index: IntArray  # EV i belongs to names[index[i]]
    rows: Mapping[str, int]  # site -> its position in `names`

    @classmethod
    def of(cls, evs: Sequence[EV]) -> SiteGroups:
        of_ev = tuple(ev.site for ev in evs)
        names, index = np.unique(np.array(of_ev, dtype=object), return_inverse=True)
        found = tuple(str(site) for site in names)
        return cls(of_ev, found, np.asarray(index, dtype=np.int64), {site: k for k, site in enumerate(found)})


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
        return len(self.capacity_kwh)  # the columns: a measured fleet's records may not be written out

    @cached_property
    def ids(self) -> tuple[str, ...]:
        """The EV ids in fleet order (computed once per fleet, shared by the fleets derived from it)."""
        return tuple(e.ev_id for e in self.evs)

    @cached_property
    def sites(self) -> SiteGroups:
        """The EVs' sites, grouped once per fleet (shared by the fleets derived from it)."""
        return SiteGroups.of(self.evs)

    @property
    def energy_kwh(self) -> FloatArray:
        """Stored energy now, kWh."""
        return self.soc * self.capacity_kwh

    def index(self, ev_id: str) -> int:
        try:
            return self.ids.index(ev_id)
        except ValueError:
            raise KeyError(ev_id) from None

    def with_state(
        self,
        soc: Sequence[float] | FloatArray | None = None,
        plugged_in: Sequence[bool] | BoolArray | None = None,
    ) -> Fleet:
        """The same fleet with measured SOC and/or plug state; how the runtime re-plans from measurements.

        Every control step does this for every EV. Only the two columns are taken as given; the records
        (`evs`) are written out the first time something reads them, which planning never does (policies,
        the verifier and the controller read the columns and `ids`): copying 10,000 records per step was
        the largest cost of a control step.
        """
        if soc is None and plugged_in is None:
            return self
        columns: dict[str, npt.NDArray[np.generic]] = {}
        if soc is not None:
            columns["soc"] = np.array(soc, dtype=np.float64)
        if plugged_in is not None:
            columns["plugged_in"] = np.array(plugged_in, dtype=np.bool_)
        fleet = object.__new__(_MeasuredFleet)
        object.__setattr__(fleet, "_base", self.evs)
        object.__setattr__(fleet, "_measured", tuple(columns))
        self._fill(fleet, columns)
        return fleet

    def rolled(self, now: datetime) -> Fleet:
        """The same fleet with each routine's departure moved to the one that governs `now` (a VEN runs for
        days: yesterday's 06:15 departure is today's); EVs without a routine are unchanged."""
        routines = self.routines
        if not routines:
            return self
        governing = tuple(routine.current_departure(now).astimezone(UTC) for routine, _ in routines)
        last = self.__dict__.get("_last_rolled")
        if last is not None and last[0] == governing:  # each step and sample of the day: the same fleet
            rolled: Fleet = last[1]
            return rolled
        departures: dict[int, datetime] = {}
        for (_, members), departure in zip(routines, governing, strict=True):
            moved = members[self.departure_ts[members] != departure.timestamp()]
            departures.update(dict.fromkeys(moved.tolist(), departure))
        rolled = self.with_departures(departures)
        self.__dict__["_last_rolled"] = (governing, rolled)
        return rolled

    @cached_property
    def routines(self) -> tuple[tuple[Routine, IntArray], ...]:
        """Each routine and the EVs (indices) on it: every control step and sample rolls the fleet, and a
        pass over 10,000 records (hashing each routine) cost tens of ms each time. Shared by the fleets
        derived from this one (their EVs keep their routines)."""
        members: dict[Routine, list[int]] = {}
        for i, ev in enumerate(self.evs):
            if ev.routine is not None:
                members.setdefault(ev.routine, []).append(i)
        return tuple((routine, np.array(indices, dtype=np.int64)) for routine, indices in members.items())

    def with_departures(self, departures: Mapping[int, datetime | None]) -> Fleet:
        """The same fleet with the departures of some EVs (by index) replaced. Only those records and the
        departure column change; the other columns are shared, not rebuilt (a gateway reporting its EVs'
        departures one plug-in at a time, among 10,000)."""
        if not departures:
            return self
        evs = list(self.evs)
        departure_ts = self.departure_ts.copy()
        for i, departure in departures.items():
            evs[i] = changed(evs[i], departure=departure)
            departure_ts[i] = math.inf if departure is None else departure.timestamp()
        return self._derived(tuple(evs), {"departure_ts": departure_ts})

    def _derived(self, evs: tuple[EV, ...], columns: Mapping[str, npt.NDArray[np.generic]]) -> Fleet:
        """A fleet of `evs` with these columns (computed by the caller from them) and this fleet's others:
        the hot paths change one or two columns of thousands of EVs, and rebuild only those."""
        fleet = object.__new__(Fleet)
        object.__setattr__(fleet, "evs", evs)
        self._fill(fleet, columns)
        return fleet

    def _fill(self, fleet: Fleet, columns: Mapping[str, npt.NDArray[np.generic]]) -> None:
        """Give `fleet` (same EVs, same order) these columns, this fleet's others and its ids."""
        for name in _COLUMNS:
            column = columns.get(name)
            if column is None:
                column = getattr(self, name)
            else:
                column.setflags(write=False)
            object.__setattr__(fleet, name, column)
        fleet.__dict__["ids"] = self.ids  # the same EVs in the same order (ids is a cached property)
        fleet.__dict__["sites"] = self.sites  # and at the same sites
        fleet.__dict__["routines"] = self.routines  # on the same routines

    def subset(self, mask: BoolArray) -> Fleet:
        return Fleet(tuple(ev for ev, keep in zip(self.evs, mask, strict=True) if keep))


class _MeasuredFleet(Fleet):
    """`Fleet.with_state`'s result: the SOC and/or plug-state columns measured, the other columns and the
    ids shared with the fleet it came from, and its records written out only when first read."""

    _base: tuple[EV, ...]  # the records of the fleet it came from, same order
    _measured: tuple[str, ...]  # the columns given to with_state ("soc", "plugged_in")

    @cached_property
    def evs(self) -> tuple[EV, ...]:
        names = self._measured
        rows = zip(*(getattr(self, name).tolist() for name in names), strict=True)
        return tuple(
            changed(ev, **dict(zip(names, row, strict=True)))
            for ev, row in zip(self._base, rows, strict=True)
        )


_COLUMNS = tuple(f.name for f in fields(Fleet) if not f.init)
