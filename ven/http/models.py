"""The VEN dashboard's JSON (GET /api/dashboard and each message of GET /api/stream), as pydantic models.

Times are ISO 8601 in UTC on the VEN's clock (simulated time when the fleet runs time-scaled); powers in kW
with `power_kw > 0` charging; SOC a fraction; `null` where a figure does not exist yet.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Identity(_Out):
    ven_name: str
    ven_id: str | None
    registration_id: str | None
    vtn_url: str
    policy: str
    chargers: str
    evs: int
    sites: list[str]
    version: str


class Link(_Out):
    registered: bool
    up: bool
    poll_interval_s: float | None
    last_poll_age_s: float | None  # wall seconds since the VTN last answered a poll
    report_backlog: int  # telemetry samples the VTN has not acknowledged


class SignalIntervalOut(_Out):
    index: int
    start: datetime
    end: datetime | None
    value: float


class SignalOut(_Out):
    name: str
    type: str
    unit: str | None
    intervals: list[SignalIntervalOut]


class EventOut(_Out):
    event_id: str
    modification_number: int
    status: str  # far, near, active, completed, cancelled
    opt: str | None  # optIn / optOut once answered
    opt_reason: str | None  # why (the opt decision's reason)
    opt_source: str | None  # what decided it: policy, test_event, target, cancellation, owner, ...
    targeted: bool
    test_event: bool
    dispatching: bool
    priority: int
    start: datetime
    end: datetime | None
    signals: list[SignalOut]


class ChartInterval(_Out):
    index: int
    start: datetime
    end: datetime | None
    requested_kw: float | None  # the event's requested reduction
    planned_kw: float | None  # the dispatch plan's reduction (latest decision, or the current plan ahead)
    delivered_kw: float | None  # measured by the VEN: baseline − usage, averaged over the interval so far
    baseline_kw: float | None  # the frozen baseline, averaged
    measured_kw: float | None  # fleet net power, averaged


class ChartPoint(_Out):
    ts: datetime
    usage_kw: float
    baseline_kw: float | None


class Chart(_Out):
    event_id: str
    status: str
    current_index: int | None
    intervals: list[ChartInterval]
    series: list[ChartPoint]  # fleet net power and baseline samples from before the start to now


class FleetNow(_Out):
    ts: datetime
    usage_kw: float
    baseline_kw: float
    delta_usage_kw: float
    available_reduction_kw: float
    stored_energy_kwh: float
    plugged_in: int
    online: int


class SocGroup(_Out):
    name: str
    evs: int
    plugged_in: int
    soc: float | None  # energy-weighted: stored energy over capacity of the EVs with a known SOC


class DecisionOut(_Out):
    decided_at: datetime
    event_id: str
    interval_index: int
    policy: str
    requested_kw: float
    planned_kw: float


class WarningOut(_Out):
    at: datetime
    level: str
    source: str
    message: str


class EvRow(_Out):
    ev_id: str
    site: str
    vehicle_class: str
    charger_id: str
    plugged_in: bool
    charger: str  # online, offline, or "fault: …"
    soc: float | None
    power_kw: float | None
    setpoint_kw: float | None
    min_soc: float
    departure: datetime | None
    departure_soc: float
    departure_state: str | None  # on track, at risk, left; null without a departure time


class EvPage(_Out):
    total: int  # EVs enrolled
    matched: int  # EVs the filter keeps
    at_risk: int  # of those, plugged in and unable to reach departure SOC charging flat out from now
    offset: int
    limit: int
    site: str | None
    q: str | None
    sort: str
    rows: list[EvRow]


class Dashboard(_Out):
    time: datetime
    time_scale: float
    control_period_s: float
    identity: Identity
    link: Link
    fleet: FleetNow | None
    events: list[EventOut]
    chart: Chart | None
    soc_by_site: list[SocGroup]
    soc_by_class: list[SocGroup]
    decisions: list[DecisionOut]
    warnings: list[WarningOut]
    evs: EvPage | None = None  # the requested page; in the stream, sent beside the shared snapshot
