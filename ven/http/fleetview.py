"""The fleet as the dashboard shows it: SOC by site and by vehicle class, and pages of the per-EV table.

Everything is computed on numpy columns once per snapshot (`FleetFrame`), so a page of a 10,000-EV table
costs a filter and a slice. A vehicle class is the EVs sharing charge and discharge limits (the enrollment
file has no class column; in the Massachusetts example these are its five vehicle types).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import numpy as np

from ven.feasibility.physics import DEPARTURE_SOC_TOLERANCE
from ven.http.models import EvPage, EvRow, SocGroup

if TYPE_CHECKING:
    from ven.chargers.gateway import FleetReading
    from ven.model.fleet import BoolArray, Fleet, FloatArray, IntArray

MAX_CLASSES = 8  # more distinct limit pairs than this: the smallest groups share "other"
MAX_PAGE = 500
Sort = Literal["ev_id", "soc", "departure", "site"]
SORTS: tuple[Sort, ...] = ("ev_id", "site", "soc", "departure")


def class_label(max_charge_kw: float, max_discharge_kw: float) -> str:
    if max_discharge_kw > 0:
        return f"V2G {max_charge_kw:g}/{max_discharge_kw:g} kW"
    return f"V1G {max_charge_kw:g} kW"


def _groups(labels: list[str]) -> tuple[list[str], IntArray]:
    names, index = np.unique(np.array(labels, dtype=object), return_inverse=True)
    return [str(n) for n in names], index.astype(np.int64)


@dataclass(frozen=True)
class FleetIndex:
    """What does not change while the VEN runs: ids, sites, classes, their group indices."""

    ids: tuple[str, ...]
    ids_lower: tuple[str, ...]
    id_rank: IntArray  # position of each EV in ev_id order
    sites: list[str]
    site_of: IntArray
    classes: list[str]
    class_of: IntArray
    charger_ids: tuple[str, ...]

    @classmethod
    def of(cls, fleet: Fleet) -> FleetIndex:
        sites, site_of = _groups([ev.site for ev in fleet.evs])
        labels = [class_label(ev.max_charge_kw, ev.max_discharge_kw) for ev in fleet.evs]
        counts: dict[str, int] = {}
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
        largest = sorted(counts, key=lambda k: -counts[k])
        kept = set(largest if len(largest) <= MAX_CLASSES else largest[: MAX_CLASSES - 1])
        classes, class_of = _groups([label if label in kept else "other" for label in labels])
        return cls(
            ids=fleet.ids,
            ids_lower=tuple(i.lower() for i in fleet.ids),
            id_rank=np.argsort(np.argsort(np.array(fleet.ids, dtype=object), kind="stable")).astype(np.int64),
            sites=sites,
            site_of=site_of,
            classes=classes,
            class_of=class_of,
            charger_ids=tuple(ev.charger_id for ev in fleet.evs),
        )


@dataclass(frozen=True)
class EvQuery:
    site: str | None = None
    q: str | None = None  # ev_id contains (case-insensitive)
    sort: Sort = "ev_id"
    at_risk: bool = False  # only EVs at risk of missing their departure SOC
    offset: int = 0
    limit: int = 50


class FleetFrame:
    """One instant of the fleet: the latest reading against the (reported) enrollment, in enrollment order."""

    def __init__(self, index: FleetIndex, fleet: Fleet, reading: FleetReading | None, now: datetime) -> None:
        self.index = index
        size = len(index.ids)
        if reading is not None and reading.ev_ids != index.ids:
            order = np.array([reading.index(ev_id) for ev_id in index.ids], dtype=np.int64)
        else:
            order = np.arange(size)
        nan = np.full(size, np.nan)
        self.soc: FloatArray = nan if reading is None else reading.soc[order]
        self.power_kw: FloatArray = nan if reading is None else reading.power_kw[order]
        self.setpoint_kw: FloatArray = nan if reading is None else reading.setpoint_kw[order]
        self.plugged_in: BoolArray = fleet.plugged_in if reading is None else reading.plugged_in[order]
        self.online: BoolArray = np.ones(size, bool) if reading is None else reading.online[order]
        self.faults = {} if reading is None else dict(reading.faults)
        self.fleet = fleet
        now_ts = now.timestamp()
        departs = np.isfinite(fleet.departure_ts)
        self.left: BoolArray = departs & (fleet.departure_ts <= now_ts)
        hours = np.where(departs & ~self.left, fleet.departure_ts - now_ts, 0.0) / 3600.0
        soc = np.where(np.isfinite(self.soc), self.soc, fleet.soc)
        reachable = soc + fleet.max_charge_kw * fleet.efficiency * hours / fleet.capacity_kwh
        self.at_risk: BoolArray = (
            departs
            & ~self.left
            & self.plugged_in
            & (reachable < fleet.departure_soc - DEPARTURE_SOC_TOLERANCE)
        )
        self.departs = departs

    def soc_groups(self, by: Literal["site", "class"]) -> list[SocGroup]:
        """Energy-weighted SOC per site or class, over the EVs whose SOC is known."""
        index = self.index
        names, of = (index.sites, index.site_of) if by == "site" else (index.classes, index.class_of)
        known = np.isfinite(self.soc)
        capacity = self.fleet.capacity_kwh
        width = len(names)
        energy = np.bincount(of, weights=np.where(known, self.soc * capacity, 0.0), minlength=width)
        known_capacity = np.bincount(of, weights=np.where(known, capacity, 0.0), minlength=width)
        evs = np.bincount(of, minlength=width)
        plugged = np.bincount(of, weights=self.plugged_in.astype(np.float64), minlength=width)
        return [
            SocGroup(
                name=name,
                evs=int(evs[k]),
                plugged_in=int(plugged[k]),
                soc=float(energy[k] / known_capacity[k]) if known_capacity[k] > 0 else None,
            )
            for k, name in enumerate(names)
        ]

    def page(self, query: EvQuery) -> EvPage:
        index = self.index
        mask = np.ones(len(index.ids), dtype=bool)
        if query.site is not None:
            site = index.sites.index(query.site) if query.site in index.sites else -1
            mask &= index.site_of == site
        if query.q:
            needle = query.q.lower()
            mask &= np.fromiter((needle in i for i in index.ids_lower), bool, len(index.ids))
        if query.at_risk:
            mask &= self.at_risk
        chosen = np.flatnonzero(mask)
        chosen = chosen[self._order(chosen, query.sort)]
        limit = max(1, min(query.limit, MAX_PAGE))
        offset = max(0, query.offset)
        return EvPage(
            total=len(index.ids),
            matched=int(chosen.size),
            at_risk=int(np.count_nonzero(self.at_risk[chosen])),
            offset=offset,
            limit=limit,
            site=query.site,
            q=query.q or None,
            sort=query.sort,
            rows=[self._row(int(i)) for i in chosen[offset : offset + limit]],
        )

    def _order(self, chosen: IntArray, sort: Sort) -> IntArray:
        if sort == "soc":
            return np.argsort(
                np.where(np.isfinite(self.soc[chosen]), self.soc[chosen], np.inf), kind="stable"
            )
        if sort == "departure":
            return np.argsort(self.fleet.departure_ts[chosen], kind="stable")
        if sort == "site":
            return np.argsort(self.index.site_of[chosen], kind="stable")
        return np.argsort(self.index.id_rank[chosen], kind="stable")

    def _row(self, i: int) -> EvRow:
        index, fleet = self.index, self.fleet
        ev_id = index.ids[i]
        fault = self.faults.get(ev_id)
        charger = f"fault: {fault}" if fault else ("online" if self.online[i] else "offline")
        departure = fleet.evs[i].departure
        state = None
        if self.departs[i]:
            state = "left" if self.left[i] else ("at risk" if self.at_risk[i] else "on track")
        return EvRow(
            ev_id=ev_id,
            site=index.sites[index.site_of[i]],
            vehicle_class=index.classes[index.class_of[i]],
            charger_id=index.charger_ids[i],
            plugged_in=bool(self.plugged_in[i]),
            charger=charger,
            soc=_finite(self.soc[i]),
            power_kw=_finite(self.power_kw[i]),
            setpoint_kw=_finite(self.setpoint_kw[i]),
            min_soc=float(fleet.min_soc[i]),
            departure=None if departure is None else departure.astimezone(UTC),
            departure_soc=float(fleet.departure_soc[i]),
            departure_state=state,
        )


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
