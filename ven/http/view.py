"""StatusView: everything the VEN's HTTP surface shows, read through narrow read-only interfaces.

The HTTP server knows only this object: /status, /metrics, the dashboard JSON and its live stream are all
built from it. It reads the parts it is given (the VTN link, the event book, the dispatch controller, the
latest telemetry sample, the store) and never changes them, never reads the chargers and never talks to the
VTN. A snapshot is rebuilt only when `marker()` (a cheap fingerprint of the VEN's state) has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from importlib import metadata
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ven.events import view_from_record
from ven.events.model import EventStatus
from ven.http.chart import DispatchState, build_chart
from ven.http.fleetview import EvQuery, FleetFrame, FleetIndex
from ven.http.models import (
    Dashboard,
    DecisionOut,
    EventOut,
    FleetNow,
    Identity,
    Link,
    SignalIntervalOut,
    SignalOut,
)
from ven.storage import StorageUnavailableError, fleet_json

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from ven.clock import Clock
    from ven.events.answers import Answer
    from ven.events.model import EventSignal
    from ven.events.view import EventView
    from ven.http.logbook import LogBook
    from ven.model.fleet import Fleet, FloatArray
    from ven.plan import Plan
    from ven.runtime.link import LinkState
    from ven.storage import Store
    from ven.telemetry.sampler import FleetSample

DECISIONS_SHOWN = 12
_FINISHED = (EventStatus.COMPLETED, EventStatus.CANCELLED)


class EventSource(Protocol):
    def views(self) -> list[EventView]: ...

    def answer_for(self, event_id: str, modification_number: int) -> Answer | None: ...


class Dispatch(DispatchState, Protocol):
    def requested_kw(self, event_id: str, interval: int) -> float | None: ...


class Sampled(Protocol):
    @property
    def latest(self) -> FleetSample | None: ...


@dataclass(frozen=True)
class ViewSettings:
    ven_name: str
    vtn_url: str
    policy: str
    chargers: str
    control_period: timedelta
    time_scale: float


@dataclass(frozen=True)
class Snapshot:
    """One rebuild: the shared dashboard body and the fleet frame pages are cut from."""

    marker: tuple[object, ...]
    dashboard: Dashboard
    frame: FleetFrame


def _version() -> str:
    try:
        return metadata.version("v2x-ven")
    except metadata.PackageNotFoundError:
        return "unknown"


class StatusView:
    def __init__(
        self,
        settings: ViewSettings,
        *,
        clock: Clock,
        link: LinkState,
        events: EventSource,
        dispatch: Dispatch,
        sampler: Sampled,
        store: Store,
        enrolled: Fleet,
        fleet: Callable[[], Fleet],
        steps: Callable[[], int],
        logbook: LogBook,
        step_seconds: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._link = link
        self._events = events
        self._dispatch = dispatch
        self._sampler = sampler
        self._store = store
        self._enrolled = enrolled
        self._fleet = fleet
        self._steps = steps
        self._step_seconds = step_seconds
        self.logbook = logbook
        self._index = FleetIndex.of(enrolled)
        self._version = _version()
        self._snapshot: Snapshot | None = None
        self._reductions: tuple[Plan | None, FloatArray] = (None, np.zeros(0))

    # -- the VEN now --------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock.now()

    def link(self) -> Link:
        registration = self._link.registration
        return Link(
            registered=registration is not None,
            up=self._link.link_up,
            poll_interval_s=None if registration is None else registration.poll_interval.total_seconds(),
            last_poll_age_s=self._link.last_poll_age_s,
            report_backlog=self._unreported(),
        )

    def marker(self) -> tuple[object, ...]:
        """Changes whenever anything the dashboard shows has changed (cheap: no I/O)."""
        now = self._clock.now()
        sample = self._sampler.latest
        registration = self._link.registration
        return (
            None if sample is None else sample.ts,
            self._steps(),
            id(self._dispatch.last_plan),
            self._dispatch.executing,
            self._link.link_up,
            None if registration is None else registration.registration_id,
            tuple(
                (v.event_id, v.modification_number, v.answer, v.opt, v.status(now), v.cancel_at)
                for v in self._events.views()
            ),
            self.logbook.count,
        )

    def snapshot(self) -> Snapshot:
        """The dashboard as of now; the previous one while nothing has changed."""
        marker = self.marker()
        if self._snapshot is None or self._snapshot.marker != marker:
            self._snapshot = self._build(marker)
        return self._snapshot

    def dashboard(self, query: EvQuery) -> Dashboard:
        snapshot = self.snapshot()
        return snapshot.dashboard.model_copy(update={"evs": snapshot.frame.page(query)})

    # -- /status and /metrics ---------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The /status body (its shape predates the dashboard and is kept)."""
        now = self._clock.now()
        registration = self._link.registration
        sample = self._sampler.latest
        executing = self._dispatch.executing
        return {
            "time": now.isoformat(),
            "ven_name": self.settings.ven_name,
            "registration": None
            if registration is None
            else {
                "ven_id": registration.ven_id,
                "registration_id": registration.registration_id,
                "poll_interval_s": registration.poll_interval.total_seconds(),
            },
            "vtn_link_up": self._link.link_up,
            "dispatching": None
            if executing is None
            else {"event_id": executing[0], "modification_number": executing[1]},
            "events": [
                {
                    "event_id": v.event_id,
                    "modification_number": v.modification_number,
                    "status": v.status(now).value,
                    "opt": None if v.opt is None else v.opt.value,
                    "start": v.start.isoformat(),
                    "end": None if v.end is None else v.end.isoformat(),
                }
                for v in self._events.views()
            ],
            "fleet": None
            if sample is None
            else {
                "ts": sample.ts.isoformat(),
                "evs": len(self._enrolled),
                "usage_kw": sample.usage_kw,
                "baseline_kw": sample.baseline_kw,
                "delta_usage_kw": sample.delta_kw,
                "available_reduction_kw": sample.available_reduction_kw,
                "stored_energy_kwh": sample.stored_energy_kwh,
                "plugged_in": None if sample.reading is None else sample.reading.plugged_in_count,
                "online": None if sample.reading is None else sample.reading.online_count,
            },
            "telemetry_unreported": self._unreported(),
        }

    def metric_values(self) -> dict[str, float]:
        values: dict[str, float] = {
            "known_events": len(self._events.views()),
            "dispatching": float(self._dispatch.executing is not None),
            "dispatch_steps": self._steps(),
            "vtn_link_up": float(self._link.link_up),
            "telemetry_unreported": self._unreported() or 0,
            "storage_unavailable": float(self._store.unavailable),
            "storage_buffered_writes": self._store.buffered_writes,
            "storage_writes": self._store.writes,
        }
        step_s = self._step_seconds()
        if step_s is not None:
            values["control_step_seconds"] = step_s
        sample = self._sampler.latest
        if sample is not None:
            values |= {
                "usage_kw": sample.usage_kw,
                "baseline_kw": sample.baseline_kw,
                "delta_usage_kw": sample.delta_kw,
                "stored_energy_kwh": sample.stored_energy_kwh,
            }
            if sample.reading is not None:
                values |= {
                    "plugged_in_evs": sample.reading.plugged_in_count,
                    "online_chargers": sample.reading.online_count,
                }
        return values

    def fleet(self) -> dict[str, Any]:
        """Every VEN sharing this VEN's database (`ven fleet status --json`'s shape); blocking."""
        return fleet_json(self._store.fleet.entries())

    def _unreported(self) -> int | None:
        try:
            return self._store.telemetry.count_unreported()
        except StorageUnavailableError:  # the database is restarting: the backlog is not known now
            return None

    # -- building a snapshot ------------------------------------------------------------------------

    def _build(self, marker: tuple[object, ...]) -> Snapshot:
        now = self._clock.now()
        sample = self._sampler.latest
        fleet = self._fleet().rolled(now)  # routines: today's departures
        frame = FleetFrame(self._index, fleet, None if sample is None else sample.reading, now)
        views = self._events.views()
        chart_view = self._chart_view(views, now)
        registration = self._link.registration
        dashboard = Dashboard(
            time=now,
            time_scale=self.settings.time_scale,
            control_period_s=self.settings.control_period.total_seconds(),
            identity=Identity(
                ven_name=self.settings.ven_name,
                ven_id=None if registration is None else registration.ven_id,
                registration_id=None if registration is None else registration.registration_id,
                vtn_url=self.settings.vtn_url,
                policy=self.settings.policy,
                chargers=self.settings.chargers,
                evs=len(self._enrolled),
                sites=self._index.sites,
                version=self._version,
            ),
            link=self.link(),
            fleet=None if sample is None else _fleet_now(sample),
            events=[self._event(v, now) for v in views],
            chart=None
            if chart_view is None
            else build_chart(chart_view, now, self._store, self._dispatch, self._plan_reduction_kw),
            soc_by_site=frame.soc_groups("site"),
            soc_by_class=frame.soc_groups("class"),
            decisions=[
                DecisionOut(
                    decided_at=d.decided_at,
                    event_id=d.event_id,
                    interval_index=d.interval_index,
                    policy=d.policy,
                    requested_kw=d.requested_kw,
                    planned_kw=d.planned_kw,
                )
                for d in self._store.dispatch.recent(DECISIONS_SHOWN)
            ],
            warnings=self.logbook.recent(),
        )
        return Snapshot(marker, dashboard, frame)

    def _plan_reduction_kw(self, plan: Plan) -> FloatArray:
        if self._reductions[0] is not plan:
            self._reductions = (plan, plan.reduction_kw)
        return self._reductions[1]

    def _chart_view(self, views: list[EventView], now: datetime) -> EventView | None:
        """The event being dispatched; else the latest that started; else the next one; else the last
        one stored (the book forgets an event once the VTN stops listing it)."""
        executing = self._dispatch.executing
        if executing is not None:
            found = next((v for v in views if v.event_id == executing[0]), None)
            if found is not None:
                return found
        started = [v for v in views if v.targeted and v.start <= now]
        if started:
            return started[-1]
        upcoming = [v for v in views if v.targeted and v.status(now) not in _FINISHED]
        if upcoming:
            return upcoming[0]
        finished = self._store.events.latest(_FINISHED)
        return view_from_record(finished[-1]) if finished else None

    def _event(self, view: EventView, now: datetime) -> EventOut:
        answer = self._events.answer_for(view.event_id, view.modification_number)
        executing = self._dispatch.executing
        return EventOut(
            event_id=view.event_id,
            modification_number=view.modification_number,
            status=view.status(now).value,
            opt=None if answer is None else answer.opt.value,
            opt_reason=None if answer is None else answer.reason,
            opt_source=None if answer is None else answer.source.value,
            targeted=view.targeted,
            test_event=view.event.test_event,
            dispatching=executing is not None and executing[0] == view.event_id,
            priority=view.event.priority,
            start=view.start,
            end=view.end,
            signals=[_signal(signal, view.start) for signal in view.event.signals],
        )


def _signal(signal: EventSignal, start: datetime) -> SignalOut:
    """One event signal with its intervals on the event's (effective) time line."""
    intervals = []
    begin = start
    for k, interval in enumerate(signal.intervals):
        end = begin + interval.duration if interval.duration else None
        intervals.append(SignalIntervalOut(index=k, start=begin, end=end, value=interval.value))
        begin = end or begin
    return SignalOut(name=signal.name, type=signal.type, unit=signal.unit, intervals=intervals)


def _fleet_now(sample: FleetSample) -> FleetNow:
    reading = sample.reading
    return FleetNow(
        ts=sample.ts,
        usage_kw=sample.usage_kw,
        baseline_kw=sample.baseline_kw,
        delta_usage_kw=sample.delta_kw,
        available_reduction_kw=sample.available_reduction_kw,
        stored_energy_kwh=sample.stored_energy_kwh,
        plugged_in=0 if reading is None else reading.plugged_in_count,
        online=0 if reading is None else reading.online_count,
    )
