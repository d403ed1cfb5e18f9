"""Notice when an EV's measured power stays away from its setpoint (battery full, EV-side limit, fault).

Shared by gateway implementations: both the simulator and the OCPP backend compare meter readings with the
setpoints in force. A deviation must last `hold_s` before it counts, so ramps and meter noise do not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ven.model.fleet import BoolArray, FloatArray, IntArray


class DriftDetector:
    """Flags each EV once when it stays more than tolerance_kw off its setpoint for hold_s without progress.

    Progress (the gap shrinking by another tolerance_kw) restarts the hold time: a ramping EV is on its way,
    a full battery or an EV-side limit is not.
    """

    def __init__(self, size: int, tolerance_kw: float = 1.0, hold_s: float = 30.0) -> None:
        if tolerance_kw <= 0 or hold_s < 0:
            raise ValueError("drift tolerance must be positive and hold time not negative")
        self.tolerance_kw = tolerance_kw
        self.hold_s = hold_s
        self._since = np.full(size, np.nan)  # when the current hold began (POSIX s), NaN = on setpoint
        self._gap_kw = np.full(size, np.nan)  # the gap when it began
        self._flagged = np.zeros(size, dtype=np.bool_)

    def reset(self, indices: IntArray | BoolArray) -> None:
        """Forget the deviation of these EVs (a new setpoint deserves a fresh hold time)."""
        self._since[indices] = np.nan
        self._gap_kw[indices] = np.nan
        self._flagged[indices] = False

    def update(
        self, now_ts: float, measured_kw: FloatArray, setpoint_kw: FloatArray, watched: BoolArray
    ) -> IntArray:
        """Indices of EVs that have just started drifting; NaN setpoints (unmanaged) never drift."""
        with np.errstate(invalid="ignore"):
            gap = np.abs(measured_kw - setpoint_kw)
            off = watched & ~np.isnan(setpoint_kw) & (gap > self.tolerance_kw)
            restart = off & (np.isnan(self._since) | (gap < self._gap_kw - self.tolerance_kw))
        self._since = np.where(off, np.where(restart, now_ts, self._since), np.nan)
        self._gap_kw = np.where(off, np.where(restart, gap, self._gap_kw), np.nan)
        with np.errstate(invalid="ignore"):
            newly = off & ~self._flagged & (now_ts - self._since >= self.hold_s)
        # Back within tolerance clears the flag, so a later drift is reported again.
        self._flagged = (self._flagged & off) | newly
        return np.flatnonzero(newly)
