"""What the VEN keeps across restarts, as typed records (in and out of the repositories)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Annotations only: the core's events package imports these records (a cycle at import time).
    from collections.abc import Mapping
    from datetime import datetime

    from ven.events.model import EventStatus

FLEET_RESOURCE = "fleet"  # telemetry resource name of the fleet aggregate (CONTRACT.md reports)


class OptAnswer(StrEnum):
    """oadrCreatedEvent optType values."""

    OPT_IN = "optIn"
    OPT_OUT = "optOut"


@dataclass(frozen=True, slots=True)
class Registration:
    """The VEN's registration with its VTN (oadrCreatedPartyRegistration)."""

    ven_id: str
    registration_id: str
    vtn_id: str
    poll_freq_s: float | None = None
    updated_at: datetime | None = None  # set by the store


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One modification of one event, with the VEN's answer to it once answered."""

    event_id: str
    modification_number: int
    payload: Mapping[str, Any]  # the event as received, JSON-compatible (datetimes stored as ISO strings)
    status: EventStatus
    start: datetime
    end: datetime
    randomised_offset_s: float = 0.0  # the start offset the VEN drew for tolerance.startafter
    test_event: bool = False
    priority: int = 0
    opt: OptAnswer | None = None  # the VEN's answer, as decided (before or after it reached the VTN)
    opt_reason: str | None = None
    opt_source: str | None = None  # what decided it (ven.events.answers.AnswerSource)
    answered_at: datetime | None = None  # when the VTN acknowledged the answer; never answered twice
    updated_at: datetime | None = None  # set by the store

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


@dataclass(frozen=True, slots=True)
class DispatchDecision:
    """A dispatch for one event interval: requested and planned reduction (kW) and the per-EV setpoints."""

    event_id: str
    interval_index: int
    decided_at: datetime
    policy: str
    requested_kw: float
    planned_kw: float
    setpoints_kw: Mapping[str, float] = field(default_factory=dict)
    id: int | None = None  # set by the store


@dataclass(frozen=True, slots=True)
class TelemetrySample:
    """One measurement for the VTN: the fleet aggregate (`resource="fleet"`) or one EV (its ev_id)."""

    ts: datetime
    resource: str
    usage_kw: float
    baseline_kw: float | None = None
    delta_kw: float | None = None
    soc: float | None = None
    reported: bool = False  # the VTN has it; unreported samples survive outages and restarts
    id: int | None = None  # set by the store


@dataclass(frozen=True, slots=True)
class PerformanceRow:
    """How one event interval went: requested vs delivered reduction (kW), export, SOCs at departure."""

    event_id: str
    interval_index: int
    start: datetime
    end: datetime
    requested_kw: float
    delivered_kw: float | None = None
    baseline_kw: float | None = None
    measured_kw: float | None = None
    exported_kwh: float = 0.0
    departure_socs: Mapping[str, float] = field(default_factory=dict)  # ev_id -> SOC of EVs leaving then
    updated_at: datetime | None = None  # set by the store


@dataclass(frozen=True, slots=True)
class VenStatus:
    """What a running VEN publishes about itself for `ven fleet status` (kW; SOC as a fraction)."""

    link_up: bool
    active_event: str | None = None
    next_event: str | None = None
    next_event_start: datetime | None = None
    requested_kw: float | None = None  # the reduction requested now
    delivered_kw: float | None = None  # the reduction delivered now (baseline − measured)
    evs: int = 0
    evs_plugged_in: int = 0
    soc_by_site: Mapping[str, float] = field(default_factory=dict)  # mean SOC of plugged-in EVs per site


@dataclass(frozen=True, slots=True)
class EventSummary:
    """How one event went for one VEN: the mean over its intervals so far (kW)."""

    event_id: str
    start: datetime
    end: datetime
    requested_kw_avg: float
    delivered_kw_avg: float | None


@dataclass(frozen=True, slots=True)
class FleetEntry:
    """One VEN as `ven fleet status` shows it; link is "up", "down" (VTN unreachable) or "stopped"."""

    name: str
    ven_id: str | None
    running: bool
    status: VenStatus
    status_at: datetime | None
    started_at: datetime | None
    events: tuple[EventSummary, ...] = ()

    @property
    def link(self) -> str:
        if not self.running:
            return "stopped"
        return "up" if self.status.link_up else "down"
