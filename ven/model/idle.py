"""Why a fleet can do nothing at all from a given time: the one-line warning a run that would be
meaningless prints (`ven plan`, `ven run`), naming the cause instead of quietly reporting zeros."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from ven.model.fleet import Fleet, FloatArray

SOC_EPS = 1e-9


def idle_cause(fleet: Fleet, start: datetime) -> str | None:
    """The reason no EV of `fleet` can be dispatched from `start` on, or None when some can."""
    plugged = fleet.plugged_in
    if not plugged.any():
        return f"no EV is plugged in ({len(fleet)} enrolled, every one with plugged_in = false)"
    staying = plugged & (fleet.departure_ts > start.timestamp())
    if not staying.any():
        return (
            f"every plugged-in EV's departure is before {start.isoformat(timespec='minutes')}: "
            "none is available (write departures as local times of day, e.g. 06:15, to mean the next one)"
        )
    charging = fleet.soc < fleet.target_soc - SOC_EPS
    discharging = (fleet.max_discharge_kw > 0) & (fleet.soc > fleet.min_soc + SOC_EPS)
    if not (staying & (charging | discharging)).any():
        return (
            "no available EV can move: none is charging (all at target_soc) and none can discharge "
            "(max_discharge_kw = 0 or at min_soc)"
        )
    return None


def nothing_delivered(requested_kw: FloatArray, reduction_kw: FloatArray) -> bool:
    """A request that asked for something and got none of it (either direction)."""
    asked = np.abs(requested_kw) > SOC_EPS
    return bool(asked.any()) and bool(np.all(np.abs(reduction_kw[asked]) <= 1e-6))
