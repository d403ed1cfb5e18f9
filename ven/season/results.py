"""A season's figures: per event (the VTN's measurement), per site (the owners' side), and the payment.

Every programme figure comes from the mock VTN's own performance records (ven.season.runner collects
them with vtn_mock.performance, the code behind its performance API), never from the VEN's view of
itself; the owners' figures come from the energy ledger. `SeasonResult.to_json()` is exactly the object
docs/reference.md gives for `ven season --json`.

- `requested_kw_avg`, `delivered_kw_avg`: duration-weighted over every event hour of the season (an
  interval the VTN has no reading for counts as 0 delivered); `delivered_ratio` = delivered / requested.
- `payment_usd` = `[payment] rate_usd_per_kw` × delivered_kw_avg (0 if negative): ConnectedSolutions'
  "average kW across all event hours" rule.
- `constraint_violations` counts every hard constraint broken: setpoints beyond an EV's limits, discharge
  below its reserve, and departures below departure SOC caused by the VEN (`departure_soc_violations`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ven.model.fleet import Fleet
    from ven.season.config import SeasonConfig
    from ven.season.ledger import Departure, EnergyLedger
    from ven.season.runner import EventRecord, SeasonRun

_DIGITS = 3


@dataclass(frozen=True)
class EventFigures:
    event_id: str
    start: datetime
    end: datetime
    requested_kw: float
    delivered_kw: float | None  # None: the VTN measured nothing (e.g. the event never reached the VEN)
    opt: str | None
    ven_delivered_kw: float | None  # what the VEN thought it delivered (its own performance rows)
    hours: float

    @property
    def ratio(self) -> float | None:
        if self.delivered_kw is None or self.requested_kw <= 0:
            return None
        return self.delivered_kw / self.requested_kw

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "requested_kw": _round(self.requested_kw),
            "delivered_kw": _round(self.delivered_kw),
            "delivered_ratio": _round(self.ratio),
            "opt": self.opt,
            "ven_delivered_kw": _round(self.ven_delivered_kw),
        }


@dataclass(frozen=True)
class SiteFigures:
    site: str
    evs: int
    departures: int
    departures_met: int
    departure_soc_min: float | None
    departure_soc_violations: int
    early_departures: int  # left earlier than announced: the owner's doing, not counted as violations
    exported_kwh: float
    equivalent_full_cycles: float  # discharged for the grid, in full batteries of the site's fleet
    degradation_usd: float
    delivered_kw_avg: float  # the site's share of the fleet's delivery, over every event hour

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "evs": self.evs,
            "departures": self.departures,
            "departures_met": self.departures_met,
            "departure_soc_min": _round(self.departure_soc_min),
            "departure_soc_violations": self.departure_soc_violations,
            "early_departures": self.early_departures,
            "exported_kwh": _round(self.exported_kwh),
            "equivalent_full_cycles": _round(self.equivalent_full_cycles),
            "degradation_usd": _round(self.degradation_usd),
            "delivered_kw_avg": _round(self.delivered_kw_avg),
        }


@dataclass(frozen=True)
class Checks:
    """What keeps the season honest, beyond the hard constraints (docs/season.md)."""

    energy_balance_max_kwh: float  # worst per-EV |end − start − (in − out − trips)| over the season
    soc_jumps: int  # energy that changed without power or a trip to account for it
    limit_violations: int
    reserve_violations: int
    trip_shortfall_kwh: float  # trip energy the batteries could not cover (an EV left too empty)
    payment_recomputed_usd: float  # from the VTN's per-interval rows, summed here from scratch
    steps: int
    # The VTN settles on the VEN's sampled usage; the chargers' own meters (the ledger) say what flowed.
    # Far apart, the samples miss what happens between them (setpoints lapsing between two commands).
    metering_gap_kw: float = 0.0  # worst |VTN's measured − metered average| over event intervals
    metered_intervals: int = 0  # the event intervals compared

    @property
    def ok(self) -> bool:
        return self.energy_balance_max_kwh < 1e-3 and self.soc_jumps == 0  # 1 Wh


@dataclass(frozen=True)
class SeasonResult:
    policy: str
    days: int
    events: tuple[EventFigures, ...]
    sites: tuple[SiteFigures, ...]
    requested_kw_avg: float
    delivered_kw_avg: float
    payment_usd: float
    departure_soc_violations: int
    constraint_violations: int
    departures: tuple[Departure, ...]
    checks: Checks
    wall_s: float
    fleet: Fleet

    @property
    def delivered_ratio(self) -> float | None:
        return self.delivered_kw_avg / self.requested_kw_avg if self.requested_kw_avg > 0 else None

    def to_json(self) -> dict[str, Any]:
        """Exactly the `ven season --json` object of docs/reference.md."""
        return {
            "policy": self.policy,
            "days": self.days,
            "events": len(self.events),
            "requested_kw_avg": _round(self.requested_kw_avg),
            "delivered_kw_avg": _round(self.delivered_kw_avg),
            "delivered_ratio": _round(self.delivered_ratio),
            "payment_usd": round(self.payment_usd, 2),
            "departure_soc_violations": self.departure_soc_violations,
            "constraint_violations": self.constraint_violations,
            "per_site": [site.to_json() for site in self.sites],
            "per_event": [event.to_json() for event in self.events],
        }


def season_result(run: SeasonRun, season: SeasonConfig) -> SeasonResult:
    events = tuple(_event(record) for record in run.events)
    hours = sum(e.hours for e in events)
    requested = sum(e.requested_kw * e.hours for e in events) / hours if hours else 0.0
    delivered = sum((e.delivered_kw or 0.0) * e.hours for e in events) / hours if hours else 0.0
    rate = season.payment.rate_usd_per_kw
    ledger = run.ledger
    end_ts = run.first_day.timestamp() + run.days * 86400.0
    departures = tuple(d for d in ledger.departures if run.first_day.timestamp() <= d.at_ts < end_ts)
    violations = sum(d.ven_violation for d in departures)
    limits, reserve = int(ledger.limit_violations.sum()), int(ledger.reserve_violations.sum())
    gaps = _metering_gaps_kw(run)
    checks = Checks(
        energy_balance_max_kwh=float(np.abs(ledger.balance_kwh).max(initial=0.0)),
        soc_jumps=ledger.jumps,
        limit_violations=limits,
        reserve_violations=reserve,
        trip_shortfall_kwh=float(ledger.trip_shortfall_kwh.sum()),
        payment_recomputed_usd=rate * max(_interval_average(run.events), 0.0),
        steps=ledger.steps,
        metering_gap_kw=max(gaps, default=0.0),
        metered_intervals=len(gaps),
    )
    return SeasonResult(
        policy=run.policy,
        days=run.days,
        events=events,
        sites=_sites(run, season, departures, hours),
        requested_kw_avg=requested,
        delivered_kw_avg=delivered,
        payment_usd=rate * max(delivered, 0.0),
        departure_soc_violations=violations,
        constraint_violations=violations + limits + reserve,
        departures=departures,
        checks=checks,
        wall_s=run.wall_s,
        fleet=run.fleet,
    )


def _event(record: EventRecord) -> EventFigures:
    drawn, performance = record.drawn, record.performance
    hours = drawn.duration.total_seconds() / 3600.0
    delivered = None if performance is None else performance.totals.delivered_kw_avg
    requested = drawn.requested_kw
    if performance is not None and performance.totals.requested_kw_avg is not None:
        requested = performance.totals.requested_kw_avg
    ven_rows = [
        (r.delivered_kw, (r.end - r.start).total_seconds())
        for r in record.ven_rows
        if r.end > r.start and r.delivered_kw is not None
    ]
    ven_seconds = sum(seconds for _, seconds in ven_rows)
    ven_delivered = sum(kw * seconds for kw, seconds in ven_rows) / ven_seconds if ven_seconds else None
    return EventFigures(
        drawn.event_id,
        drawn.start,
        drawn.end,
        requested,
        delivered,
        record.opt,
        ven_delivered,
        hours,
    )


def _interval_average(records: tuple[EventRecord, ...]) -> float:
    """Delivered kW over every event hour, from the VTN's per-interval rows (not its per-event totals)."""
    energy_kwh = seconds = 0.0
    for record in records:
        drawn = record.drawn
        seconds += drawn.duration.total_seconds()
        if record.performance is None:
            continue
        for interval in record.performance.intervals:
            length = (interval.end - interval.start).total_seconds()
            energy_kwh += (interval.delivered_kw or 0.0) * length
    return energy_kwh / seconds if seconds else 0.0


def _metering_gaps_kw(run: SeasonRun) -> list[float]:
    """Per event interval the VTN measured: |its measured kW − the fleet's metered average kW| (ledger)."""
    metered_kwh = run.ledger.interval_kwh.sum(axis=0)
    gaps = []
    column = 0
    for record in run.events:
        intervals = record.drawn.intervals(run.interval)
        measured = (
            {}
            if record.performance is None
            else {i.start: i.measured_kw for i in record.performance.intervals}
        )
        for k, (begin, end) in enumerate(intervals):
            kw = measured.get(begin)
            if kw is not None:
                hours = (end - begin).total_seconds() / 3600.0
                gaps.append(abs(kw - float(metered_kwh[column + k]) / hours))
        column += len(intervals)
    return gaps


def _sites(
    run: SeasonRun, season: SeasonConfig, departures: tuple[Departure, ...], event_hours: float
) -> tuple[SiteFigures, ...]:
    fleet, ledger = run.fleet, run.ledger
    members: dict[str, list[int]] = defaultdict(list)
    for i, ev in enumerate(fleet.evs):
        members[ev.site].append(i)
    by_site: dict[str, list[Departure]] = defaultdict(list)
    for departure in departures:
        by_site[fleet.evs[departure.ev_index].site].append(departure)
    contribution = _contribution_kwh(run)
    cost = season.degradation.pack_cost_usd_per_kwh / season.degradation.cycle_life_efc
    out = []
    for site, index in members.items():
        left = by_site.get(site, [])
        capacity = float(fleet.capacity_kwh[index].sum())
        stored_out = float(ledger.stored_out_kwh[index].sum())
        out.append(
            SiteFigures(
                site=site,
                evs=len(index),
                departures=len(left),
                departures_met=sum(d.met for d in left),
                departure_soc_min=min((d.soc for d in left), default=None),
                departure_soc_violations=sum(d.ven_violation for d in left),
                early_departures=sum(d.early for d in left),
                exported_kwh=float(ledger.exported_kwh[index].sum()),
                equivalent_full_cycles=stored_out / capacity if capacity else 0.0,
                degradation_usd=stored_out * cost,
                delivered_kw_avg=float(contribution[index].sum()) / event_hours if event_hours else 0.0,
            )
        )
    return tuple(out)


def _contribution_kwh(run: SeasonRun) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Per EV: Σ over event intervals of (the VEN's frozen baseline − metered power) × hours, kWh.

    The frozen baseline covers the intervals from the first dispatch on; intervals before it (an event
    not yet dispatched, or never) count as no contribution.
    """
    ledger: EnergyLedger = run.ledger
    positions = {ev_id: i for i, ev_id in enumerate(run.fleet.ids)}
    out = np.zeros(len(run.fleet))
    column = 0
    for record in run.events:
        intervals = record.drawn.intervals(run.interval)
        baseline = record.baseline
        first = len(intervals) if baseline is None else _frozen_from(baseline.start, intervals)
        for k, (begin, end) in enumerate(intervals):
            if baseline is None or not 0 <= k - first < baseline.baseline_kw.shape[1]:
                continue
            hours = (end - begin).total_seconds() / 3600.0
            rows = [
                (row, positions[ev_id]) for row, ev_id in enumerate(baseline.ev_ids) if ev_id in positions
            ]
            base = np.zeros(len(run.fleet))
            for row, i in rows:
                base[i] = baseline.baseline_kw[row, k - first] * hours
            out += base - ledger.interval_kwh[:, column + k]
        column += len(intervals)
    return out


def _frozen_from(start: datetime, intervals: list[tuple[datetime, datetime]]) -> int:
    """The interval a baseline frozen at `start` begins with."""
    for k, (begin, end) in enumerate(intervals):
        if begin.timestamp() - 1.0 <= start.timestamp() < end.timestamp():
            return k
    return 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, _DIGITS)
