"""What `ven demo` found, and its `--json` form (CONTRACT.md: requested_kw, delivered_kw,
departure_soc_violations, plus the per-interval figures and the plot path)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ven.demo.departures import DepartureCheck
from ven.feasibility.physics import DEPARTURE_SOC_TOLERANCE
from ven.metrics import DispatchMetrics


@dataclass(frozen=True)
class IntervalRow:
    """One event interval as the VTN measured it, and the fleet's SOC by site type at its end."""

    start: datetime
    end: datetime
    program_start: datetime  # the interval on the program day, local time
    program_end: datetime
    requested_kw: float | None
    baseline_kw: float | None
    measured_kw: float | None
    delivered_kw: float | None
    soc_by_site_type: dict[str, float]

    @property
    def program_time(self) -> str:
        return self.program_start.strftime("%H:%M")


@dataclass(frozen=True)
class Series:
    """Time series for the plot, one point per recorded frame."""

    program_times: list[datetime]  # mapped onto the program day, local time
    delivered_kw: list[float | None]  # the VEN's own view: baseline − measured (None outside the event)
    soc_by_class: dict[str, list[float]]


@dataclass(frozen=True)
class DepartureMark:
    """A watched EV leaving: when (program time), and its SOC then against the SOC it needed."""

    at: datetime
    ev_id: str
    soc: float
    departure_soc: float

    @property
    def short(self) -> bool:
        return self.soc < self.departure_soc - DEPARTURE_SOC_TOLERANCE


@dataclass(frozen=True)
class DemoResult:
    event_id: str
    ven_name: str
    ven_id: str
    opt: str | None
    policy: str
    time_scale: float
    evs: int
    program_day: str
    requested_kw: float
    delivered_kw: float
    delivered_ratio: float | None
    measured_kw: float  # the fleet's net power, event average (negative = back to the grid)
    departures: DepartureCheck
    intervals: list[IntervalRow]
    wall_s: float
    series: Series = field(repr=False)
    plot: str | None = None
    chargers: str = "simulated"  # the VEN's backend: the simulated fleet, or simulated OCPP stations
    departure_note: str | None = None  # how far departure SOC could be checked (real-time runs)
    time_compression: float = 1.0  # program time per real time (the OCPP demo shortens the event)
    departure_marks: tuple[DepartureMark, ...] = ()  # the watched EVs that left, for the plot
    metrics: DispatchMetrics | None = None  # dispatch quality (ven.metrics); None if nothing was measured

    def with_plot(self, path: str) -> DemoResult:
        return replace(self, plot=path)

    def to_json(self) -> dict[str, Any]:
        """The `ven demo --json` object."""
        return {
            "requested_kw": self.requested_kw,
            "delivered_kw": self.delivered_kw,
            "delivered_ratio": self.delivered_ratio,
            "measured_kw": round(self.measured_kw, 3),
            "departure_soc_violations": len(self.departures.violations),
            "departure_soc_violators": list(self.departures.violations),
            "departures_checked": self.departures.departed,
            **({"departure_note": self.departure_note} if self.departure_note else {}),
            "event_id": self.event_id,
            "ven": {"name": self.ven_name, "ven_id": self.ven_id, "opt": self.opt},
            "policy": self.policy,
            "chargers": self.chargers,
            "evs": self.evs,
            "program_day": self.program_day,
            "time_scale": self.time_scale,
            "wall_s": round(self.wall_s, 1),
            "intervals": [
                {
                    "start": row.start.isoformat(),
                    "end": row.end.isoformat(),
                    "program_time": row.program_time,
                    "requested_kw": row.requested_kw,
                    "baseline_kw": row.baseline_kw,
                    "measured_kw": row.measured_kw,
                    "delivered_kw": row.delivered_kw,
                    "soc_by_site_type": {k: round(v, 4) for k, v in row.soc_by_site_type.items()},
                }
                for row in self.intervals
            ],
            "plot": self.plot,
            "metrics": None if self.metrics is None else self.metrics.as_json(),
        }
