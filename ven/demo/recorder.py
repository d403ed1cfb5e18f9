"""What the fleet did, frame by frame: true SOC of every EV and the VEN's own fleet figures.

The truth comes from the simulated fleet itself, or (`ven demo --chargers ocpp`) from the simulated
stations behind the VEN's OCPP backend: anything with the FleetTruth shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from ven.model.fleet import FloatArray
    from ven.runtime.app import VenApp


class FleetTruth(Protocol):
    """What the EVs really do, in fleet order (the simulation, not the VEN's view of it)."""

    def sync(self) -> None: ...

    def now(self) -> datetime: ...

    @property
    def soc(self) -> FloatArray: ...

    @property
    def power_kw(self) -> FloatArray: ...


@dataclass(frozen=True)
class Frame:
    ts: datetime  # the VEN's (simulated) clock
    soc: FloatArray  # true SOC per EV, fleet order
    usage_kw: float  # true fleet power (> 0 charging)
    baseline_kw: float | None  # the VEN's contract baseline for the current interval (None outside events)


class Recorder:
    """Takes a Frame on each `take()`; frames are kept oldest first."""

    def __init__(self, app: VenApp, gateway: FleetTruth) -> None:
        self._app = app
        self._gateway = gateway  # the simulation behind the app's gateway (true SOC and power)
        self.frames: list[Frame] = []

    def take(self) -> Frame:
        gateway = self._gateway
        gateway.sync()
        frame = Frame(
            ts=self._app.clock.now(),
            soc=np.array(gateway.soc),
            usage_kw=float(gateway.power_kw.sum()),
            baseline_kw=self._app.controller.baseline_now_kw(),
        )
        self.frames.append(frame)
        return frame

    def at(self, when: datetime) -> Frame | None:
        """The last frame taken at or before `when` (None if none was)."""
        found = None
        for frame in self.frames:
            if frame.ts > when:
                break
            found = frame
        return found
