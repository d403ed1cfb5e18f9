"""The season's energy ledger: every simulator step and plug event, accounted per EV, and checked.

It is the simulator's observer (ven.chargers.simulated.StepObserver) and keeps its own books: its own
running energy per EV (from the power and connected hours of each step, and the trips' energy at each
arrival), what went in and out on both sides of the charger, and every departure with the SOC it left at.
At each step it compares its energy with the simulator's: a difference is an SOC jump (energy that came or
went unaccounted). It also counts the hard constraints the VEN must keep (docs/reference.md): setpoints beyond
an EV's limits (checked by the season's gateway, which sees every command), discharge below the reserve,
and departures below the departure SOC that the VEN caused.

A departure is the VEN's fault only if the EV left at or after the time it announced at plug-in, and left
below what it needed (departure_soc) where unmanaged charging from its plug-in would have got it there
(or as far as unmanaged charging would have got it). An EV that leaves earlier than it announced does so
on its owner's account and is counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ven.feasibility.physics import DEPARTURE_SOC_TOLERANCE, energy_delta_kwh

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ven.chargers.evsim import SimulatedEVs
    from ven.chargers.schedule import PlugEvent
    from ven.model.fleet import BoolArray, Fleet, FloatArray

ENERGY_TOLERANCE_KWH = 1e-6
POWER_TOLERANCE_KW = 1e-6
EARLY_TOLERANCE_S = 1.0


@dataclass(frozen=True, slots=True)
class Departure:
    """One EV leaving: when (actual and announced), the SOC it left at and the SOC it needed."""

    ev_index: int
    at_ts: float
    announced_ts: float | None
    soc: float
    departure_soc: float
    expected_soc: float  # what unmanaged charging from plug-in to the announced departure would reach

    @property
    def early(self) -> bool:
        """Left before the time it announced: the owner's doing."""
        return self.announced_ts is not None and self.at_ts < self.announced_ts - EARLY_TOLERANCE_S

    @property
    def met(self) -> bool:
        return self.soc >= self.departure_soc - DEPARTURE_SOC_TOLERANCE

    @property
    def ven_violation(self) -> bool:
        """Left short, on time, where unmanaged charging would not have left it short (or as short)."""
        return (
            not self.early and self.soc < min(self.departure_soc, self.expected_soc) - DEPARTURE_SOC_TOLERANCE
        )


class EnergyLedger:
    """Per EV books over the season; see the module docstring. Arrays are aligned with `fleet.evs`."""

    def __init__(
        self,
        fleet: Fleet,
        start_ts: float,
        announced: list[float | None],
        announced_at: Mapping[tuple[str, float], float | None],
        intervals: FloatArray,
    ) -> None:
        """`fleet` at `start_ts` (every EV plugged in since then); `announced`: each EV's announced
        departure then, `announced_at`: the one it announces at each plug-in, by (ev_id, plug-in time);
        `intervals`: (K, 2) start/end POSIX seconds of every event interval, for the per-EV energy
        drawn in each (kWh)."""
        size = len(fleet)
        self._fleet = fleet
        self.start_energy_kwh = fleet.energy_kwh.copy()
        self.energy_kwh = fleet.energy_kwh.copy()
        self.stored_in_kwh = np.zeros(size)  # into the battery while charging (after losses)
        self.stored_out_kwh = np.zeros(size)  # out of the battery while discharging (before losses)
        self.charged_kwh = np.zeros(size)  # from the grid
        self.exported_kwh = np.zeros(size)  # to the grid
        self.trip_kwh = np.zeros(size)  # used away, as taken from the battery at plug-in
        self.trip_shortfall_kwh = np.zeros(size)  # trips the battery could not cover
        self.reserve_violations = np.zeros(size, dtype=np.int64)
        self.limit_violations = np.zeros(size, dtype=np.int64)
        self.jumps = 0
        self.max_jump_kwh = 0.0
        self.steps = 0
        self.departures: list[Departure] = []
        self._announced = list(announced)
        self._announced_at = announced_at
        self._session_start_kwh = fleet.energy_kwh.copy()
        self._session_start_ts = np.full(size, start_ts)
        self._intervals = np.asarray(intervals, dtype=np.float64).reshape(-1, 2)
        self.interval_kwh = np.zeros((size, len(self._intervals)))  # grid energy per EV and event interval

    # -- StepObserver -----------------------------------------------------------------------------------

    def stepped(self, t0: float, t1: float, evs: SimulatedEVs, leaving: BoolArray) -> None:
        fleet = self._fleet
        power, hours = evs.step_power_kw, evs.connected_h
        delta = energy_delta_kwh(power, fleet.efficiency, hours)
        expected = np.clip(self.energy_kwh + delta, 0.0, fleet.capacity_kwh)
        gap = np.abs(expected - evs.energy_kwh)
        worst = float(gap.max(initial=0.0))
        if worst > ENERGY_TOLERANCE_KWH:
            self.jumps += int(np.count_nonzero(gap > ENERGY_TOLERANCE_KWH))
            self.max_jump_kwh = max(self.max_jump_kwh, worst)
        self.energy_kwh = evs.energy_kwh.copy()
        charging, discharging = np.maximum(power, 0.0) * hours, np.maximum(-power, 0.0) * hours
        self.charged_kwh += charging
        self.exported_kwh += discharging
        self.stored_in_kwh += charging * fleet.efficiency
        self.stored_out_kwh += discharging / fleet.efficiency
        below = (power < -POWER_TOLERANCE_KW) & (
            evs.energy_kwh < fleet.min_soc * fleet.capacity_kwh - ENERGY_TOLERANCE_KWH
        )
        self.reserve_violations += below
        self._account_intervals(t0, t1, power, evs.departure_ts, leaving)
        for i in np.flatnonzero(leaving):
            self._departed(int(i), float(evs.departure_ts[i]), float(evs.energy_kwh[i]))
        self.steps += 1

    def plugged(self, event: PlugEvent, i: int, evs: SimulatedEVs) -> None:
        after = float(evs.energy_kwh[i])
        before = float(self.energy_kwh[i])
        if event.used_kwh is not None:
            taken = before - after
            if taken < -ENERGY_TOLERANCE_KWH or taken > event.used_kwh + ENERGY_TOLERANCE_KWH:
                self._jump(abs(taken - event.used_kwh))
            self.trip_kwh[i] += taken
            self.trip_shortfall_kwh[i] += max(event.used_kwh - taken, 0.0)
        elif abs(after - before) > ENERGY_TOLERANCE_KWH:  # an arrival SOC set by hand: energy from nowhere
            self._jump(abs(after - before))
        self.energy_kwh[i] = after
        if event.plugged_in:
            self._session_start_kwh[i] = after
            self._session_start_ts[i] = event.at.timestamp()
            self._announced[i] = self._announced_at.get((event.ev_id, event.at.timestamp()))

    # -- what the season's gateway reports --------------------------------------------------------------

    def commanded(self, i: int, power_kw: float) -> None:
        """The VEN commanded EV `i` to `power_kw`; outside the EV's limits is a hard-constraint violation."""
        fleet = self._fleet
        if (
            not -fleet.max_discharge_kw[i] - POWER_TOLERANCE_KW
            <= power_kw
            <= fleet.max_charge_kw[i] + (POWER_TOLERANCE_KW)
        ):
            self.limit_violations[i] += 1

    # -- figures ----------------------------------------------------------------------------------------

    @property
    def balance_kwh(self) -> FloatArray:
        """Per EV: energy now − at start − (stored in − stored out − trips): 0 when the books add up."""
        flows = self.stored_in_kwh - self.stored_out_kwh - self.trip_kwh
        return self.energy_kwh - self.start_energy_kwh - flows

    @property
    def equivalent_full_cycles(self) -> FloatArray:
        """Per EV: energy discharged for the grid over the season, in full batteries."""
        return np.asarray(self.stored_out_kwh / self._fleet.capacity_kwh)

    def _jump(self, kwh: float) -> None:
        self.jumps += 1
        self.max_jump_kwh = max(self.max_jump_kwh, kwh)

    def _departed(self, i: int, at_ts: float, energy_kwh: float) -> None:
        fleet = self._fleet
        announced = self._announced[i]
        capacity = float(fleet.capacity_kwh[i])
        expected = capacity  # leaving with no announced time: nothing excuses a shortfall
        if announced is not None:
            hours = max(announced - float(self._session_start_ts[i]), 0.0) / 3600.0
            begin = float(self._session_start_kwh[i])
            reach = begin + float(fleet.efficiency[i] * fleet.max_charge_kw[i]) * hours
            expected = max(begin, min(float(fleet.target_soc[i]) * capacity, reach))
        self.departures.append(
            Departure(
                i,
                at_ts,
                announced,
                energy_kwh / capacity,
                float(fleet.departure_soc[i]),
                min(expected, capacity) / capacity,
            )
        )

    def _account_intervals(
        self, t0: float, t1: float, power: FloatArray, departure_ts: FloatArray, leaving: BoolArray
    ) -> None:
        if not len(self._intervals):
            return
        starts, ends = self._intervals[:, 0], self._intervals[:, 1]
        first = int(np.searchsorted(ends, t0, side="right"))
        last = int(np.searchsorted(starts, t1, side="left"))
        if first >= last:
            return
        connected_until = np.where(leaving, departure_ts, t1)
        for k in range(first, last):
            overlap_s = np.clip(np.minimum(connected_until, ends[k]) - max(t0, starts[k]), 0.0, None)
            self.interval_kwh[:, k] += power * overlap_s / 3600.0
