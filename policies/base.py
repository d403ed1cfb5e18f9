"""The policy plug-in interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from ven.feasibility.envelope import Envelope
from ven.model.fleet import Fleet, FloatArray
from ven.model.request import Request


@dataclass(frozen=True)
class PlanningProblem:
    """Everything a policy may look at: the fleet snapshot, the request, and the shared safety envelope."""

    request: Request
    envelope: Envelope

    @classmethod
    def build(
        cls,
        fleet: Fleet,
        request: Request,
        baseline_kw: FloatArray | None = None,
        *,
        hold_h: float = 0.0,
    ) -> PlanningProblem:
        """The problem for `fleet` now; `baseline_kw` (N, K) fixes the baseline (e.g. an event's, frozen).

        `hold_h`: the first interval's power must stay safe held this long, then baseline (the setpoint TTL).
        """
        return cls(request, Envelope(fleet, request.horizon, baseline_kw, hold_h))

    @property
    def fleet(self) -> Fleet:
        return self.envelope.fleet

    @property
    def baseline_kw(self) -> FloatArray:
        return self.envelope.baseline_kw


@dataclass(frozen=True)
class Allocation:
    """A policy's answer: (N, K) power per EV and interval, kW, signed as CONTRACT.md says."""

    power_kw: FloatArray
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        power = np.array(self.power_kw, dtype=np.float64)
        power.setflags(write=False)
        object.__setattr__(self, "power_kw", power)


@runtime_checkable
class Policy(Protocol):
    """One pure method over frozen snapshots: no I/O, no clock reads, no live objects."""

    name: str

    def allocate(self, problem: PlanningProblem) -> Allocation: ...
