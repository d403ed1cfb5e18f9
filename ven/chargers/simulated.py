"""The simulated fleet: a first-class ChargerGateway over simulated EVs (the embedded default backend).

Simulated time follows the injected clock, `time_scale` simulated seconds per wall second, so a 3-hour event
can run in minutes; `advance()` moves it by hand for deterministic tests. Every EV is stepped at once with
numpy (10,000 EVs per step in well under a millisecond). Physics: ven.chargers.battery.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ven.chargers import routines
from ven.chargers.drift import DriftDetector
from ven.chargers.evsim import SimulatedEVs
from ven.chargers.gateway import (
    ApplyResult,
    FleetReading,
    GatewayEvent,
    GatewayEventKind,
    Rejection,
    RejectReason,
    Subscribers,
)
from ven.chargers.schedule import PlugSchedule

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from ven.chargers.gateway import EventCallback
    from ven.chargers.schedule import PlugEvent
    from ven.clock import Clock
    from ven.model.fleet import BoolArray, Fleet, FloatArray, IntArray

_EPS_S = 1e-9
# Routine returns are planned this far ahead of simulated time, a window at a time.
_ROUTINE_WINDOW = timedelta(days=1)


class StepObserver(Protocol):
    """Sees every simulation step and plug event as it happens (`ven season` keeps its energy ledger so)."""

    def stepped(self, t0: float, t1: float, evs: SimulatedEVs, leaving: BoolArray) -> None:
        """After a step from t0 to t1 (POSIX seconds); `leaving`: who departed during it."""

    def plugged(self, event: PlugEvent, i: int, evs: SimulatedEVs) -> None:
        """After EV `i` was plugged in or out by `event` (its arrival SOC or trip energy applied)."""


class Fault(StrEnum):
    """Faults a test can inject into one EV's charger."""

    OFFLINE = "offline"  # stops talking: commands fail, readings freeze; it keeps doing what it was told
    REJECT_SETPOINTS = "reject_setpoints"  # online and metering, but refuses every command


class SimulatedFleet:
    """Simulated chargers for `fleet`; implements ChargerGateway.

    Until an EV gets a setpoint it charges as the baseline does (full rate until target_soc). Setpoints are
    limited to the EV's charge/discharge limits, the battery stops at full and empty, an EV leaves at its
    departure time (or per `schedule`) and its setpoint lapses when it is unplugged, or at its
    `valid_until` in simulated time (then the EV charges as the baseline does again). With
    `follow_routines`, an EV whose enrollment gives a routine (departure as a local time of day) comes back
    at its `plug_in` time with its `plug_in_soc`, day after day.
    """

    def __init__(
        self,
        fleet: Fleet,
        clock: Clock,
        *,
        time_scale: float = 1.0,
        ramp_kw_per_s: float | None = None,
        noise_kw: float = 0.0,
        seed: int = 0,
        schedule: Iterable[PlugEvent] = (),
        follow_routines: bool = True,
        step_s: float = 1.0,
        tick_s: float = 0.1,
        drift_tolerance_kw: float = 1.0,
        drift_hold_s: float = 30.0,
        observer: StepObserver | None = None,
    ) -> None:
        if time_scale <= 0 or step_s <= 0 or tick_s <= 0 or noise_kw < 0:
            raise ValueError("time_scale, step_s and tick_s must be positive, noise_kw not negative")
        if ramp_kw_per_s is not None and ramp_kw_per_s <= 0:
            raise ValueError("ramp_kw_per_s must be positive (None: no ramp limit)")
        self._fleet = fleet
        self._clock = clock
        self._time_scale, self._noise = time_scale, noise_kw
        self._step_s, self._tick_s = step_s, tick_s
        self._ids = fleet.ids
        self._pos = {ev_id: i for i, ev_id in enumerate(self._ids)}
        events = list(schedule)
        unknown = sorted({e.ev_id for e in events} - self._pos.keys())
        if unknown:
            raise ValueError(f"plug schedule names EVs not in the fleet: {', '.join(unknown[:5])}")
        size = len(fleet)
        self._wall_anchor = clock.now()
        self._t = self._sim_anchor = self._wall_anchor.timestamp()
        self._evs = SimulatedEVs(fleet, self._t, ramp_kw_per_s)
        self._measured = np.zeros(size)
        self._online = np.ones(size, dtype=np.bool_)
        self._faults: dict[int, Fault] = {}
        # What an offline charger last reported: readings freeze while it is gone.
        self._stale_power, self._stale_soc = np.zeros(size), fleet.soc.copy()
        self._stale_plugged = self._evs.plugged_in.copy()
        self._rng = np.random.default_rng(seed)
        self._observer = observer
        self._routines_until: float | None = None
        if follow_routines:
            events += routines.first_returns(fleet, self._wall_anchor)
            self._routines_until = self._t
        self._schedule = PlugSchedule(events)
        self._plan_routines(self._t)
        self._drift = DriftDetector(size, drift_tolerance_kw, drift_hold_s)
        self._subscribers = Subscribers()
        self._pending: list[GatewayEvent] = []
        self._task: asyncio.Task[None] | None = None
        self._plug(self._schedule.pop_due(self._t))
        self._pending.clear()  # the state at start is not a change

    # -- the ChargerGateway seam ------------------------------------------------------------------------

    async def start(self) -> None:
        """Keep simulated time in step with the clock in the background (plug-outs, drift get noticed)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="simulated-fleet")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def apply(self, setpoints: Mapping[str, float], *, valid_until: datetime) -> ApplyResult:
        self.sync()
        until_ts = valid_until.timestamp()
        ix = self._all_accepted(setpoints, until_ts)
        if ix is not None:  # every control step at 10,000 EVs: checked as columns, not EV by EV
            commanded = np.fromiter(setpoints.values(), dtype=np.float64, count=len(setpoints))
            self._command(ix, commanded, until_ts)
            return ApplyResult(tuple(setpoints), ())
        accepted: list[str] = []
        rejected: list[Rejection] = []
        indices: list[int] = []
        values: list[float] = []
        for ev_id, power_kw in setpoints.items():
            i = self._pos.get(ev_id)
            refusal = self._refusal(ev_id, i)
            if refusal is None and not math.isfinite(power_kw):
                refusal = Rejection(ev_id, RejectReason.INVALID, f"setpoint {power_kw!r} is not finite")
            if refusal is None and until_ts <= self._t:
                refusal = Rejection(ev_id, RejectReason.INVALID, f"valid_until {valid_until} has passed")
            if refusal is None and i is not None and not self._evs.plugged_in[i]:
                refusal = Rejection(ev_id, RejectReason.NOT_PLUGGED_IN)
            if refusal is not None or i is None:
                rejected.append(refusal or Rejection(ev_id, RejectReason.UNKNOWN_EV))
                continue
            accepted.append(ev_id)
            indices.append(i)
            values.append(power_kw)
        self._command(np.asarray(indices, dtype=np.int64), np.asarray(values, dtype=np.float64), until_ts)
        return ApplyResult(tuple(accepted), tuple(rejected))

    def _all_accepted(self, setpoints: Mapping[str, float], until_ts: float) -> IntArray | None:
        """The positions of the setpoints' EVs when apply() would accept every one of them, else None."""
        if until_ts <= self._t:
            return None
        positions = [self._pos.get(ev_id) for ev_id in setpoints]
        if None in positions:
            return None
        ix = np.array(positions, dtype=np.int64)
        ok = self._evs.plugged_in[ix] & np.isfinite(np.fromiter(setpoints.values(), dtype=np.float64))
        if self._faults:  # offline or refusing chargers
            ok &= ~np.isin(ix, np.fromiter(self._faults, dtype=np.int64))
        return ix if ok.all() else None

    def _command(self, ix: IntArray, values: FloatArray, until_ts: float) -> None:
        # The charger limits a setpoint to what the EV can do, whatever it is told.
        limits = self._fleet.max_discharge_kw[ix], self._fleet.max_charge_kw[ix]
        self._evs.command(ix, np.clip(values, -limits[0], limits[1]), until_ts)
        self._drift.reset(ix)

    async def release(self, ev_ids: Iterable[str] | None = None) -> ApplyResult:
        self.sync()
        accepted: list[str] = []
        rejected: list[Rejection] = []
        for ev_id in self._ids if ev_ids is None else ev_ids:
            i = self._pos.get(ev_id)
            refusal = self._refusal(ev_id, i)
            if refusal is not None or i is None:
                rejected.append(refusal or Rejection(ev_id, RejectReason.UNKNOWN_EV))
                continue
            self._evs.clear(np.array([i]))
            self._drift.reset(np.array([i]))
            accepted.append(ev_id)
        return ApplyResult(tuple(accepted), tuple(rejected))

    async def read(self) -> FleetReading:
        self.sync()
        online = self._online
        return FleetReading(
            timestamp=self._now(),
            ev_ids=self._ids,
            power_kw=np.where(online, self._measured, self._stale_power),
            soc=np.where(online, self.soc, self._stale_soc),
            plugged_in=np.where(online, self._evs.plugged_in, self._stale_plugged),
            online=online,
            setpoint_kw=self._evs.setpoint_kw,
            faults={self._ids[i]: fault.value for i, fault in self._faults.items()},
        )

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        return self._subscribers.add(callback)

    # -- simulation control -----------------------------------------------------------------------------

    def now(self) -> datetime:
        """Simulated time now (a Clock: the runtime schedules by it when time_scale != 1)."""
        return datetime.fromtimestamp(max(self._t, self._target_ts()), UTC)

    def sync(self) -> None:
        """Step the simulation up to the time the injected clock says it is."""
        target = self._target_ts()
        if target > self._t + _EPS_S:
            self._run_until(target)

    def advance(self, seconds: float) -> None:
        """Run `seconds` of simulated time now, on top of clock-driven time (deterministic tests)."""
        if seconds < 0:
            raise ValueError("cannot advance by a negative time")
        self._sim_anchor += seconds
        self._run_until(self._t + seconds)

    def inject_fault(self, ev_id: str, fault: Fault) -> None:
        self.sync()
        i = self._pos[ev_id]
        self.clear_fault(ev_id)
        self._faults[i] = fault
        if fault is Fault.OFFLINE:
            self._stale_power[i], self._stale_soc[i] = self._measured[i], self.soc[i]
            self._stale_plugged[i] = self._evs.plugged_in[i]
            self._emit(GatewayEventKind.OFFLINE, i, self._t, "charger offline")
            self._online[i] = False
        else:
            self._emit(GatewayEventKind.FAULT, i, self._t, "charger rejects setpoints")
        self._flush()

    def clear_fault(self, ev_id: str) -> None:
        i = self._pos[ev_id]
        fault = self._faults.pop(i, None)
        if fault is Fault.OFFLINE:
            self._online[i] = True
            self._emit(GatewayEventKind.ONLINE, i, self._t, "charger back online")
        elif fault is not None:
            self._emit(GatewayEventKind.FAULT_CLEARED, i, self._t, "charger accepts setpoints again")
        self._flush()

    @property
    def ev_ids(self) -> tuple[str, ...]:
        return self._ids

    @property
    def soc(self) -> FloatArray:
        """True SOC of every EV (a reading may be stale or noisy; this is not)."""
        return self._evs.energy_kwh / self._fleet.capacity_kwh

    @property
    def energy_kwh(self) -> FloatArray:
        return self._evs.energy_kwh.copy()

    @property
    def power_kw(self) -> FloatArray:
        """True power of every EV over the last step."""
        return self._evs.power_kw.copy()

    def snapshot(self) -> Fleet:
        """The enrolled fleet with its simulated SOC and plug state now."""
        return self._fleet.with_state(soc=self.soc, plugged_in=self._evs.plugged_in)

    # -- internals --------------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self.sync()
            await asyncio.sleep(self._tick_s)

    def _target_ts(self) -> float:
        elapsed_s = (self._clock.now() - self._wall_anchor).total_seconds()
        return self._sim_anchor + self._time_scale * elapsed_s

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._t, UTC)

    def _refusal(self, ev_id: str, i: int | None) -> Rejection | None:
        if i is None:
            return Rejection(ev_id, RejectReason.UNKNOWN_EV)
        fault = self._faults.get(i)
        if fault is Fault.OFFLINE:
            return Rejection(ev_id, RejectReason.OFFLINE, "no answer from the charger")
        if fault is Fault.REJECT_SETPOINTS:
            return Rejection(ev_id, RejectReason.REJECTED, "the charger refused the charging profile")
        return None

    def _plan_routines(self, end_ts: float) -> None:
        """Schedule routine returns for every trip starting before end_ts plus one window."""
        if self._routines_until is None:
            return
        horizon = end_ts + _ROUTINE_WINDOW.total_seconds()
        while self._routines_until < horizon:
            start = datetime.fromtimestamp(self._routines_until, UTC)
            self._schedule.extend(routines.returns_in(self._fleet, start, start + _ROUTINE_WINDOW))
            self._routines_until += _ROUTINE_WINDOW.total_seconds()

    def _run_until(self, end_ts: float) -> None:
        self._plan_routines(end_ts)
        while self._t < end_ts - _EPS_S:
            t1 = min(end_ts, self._t + self._step_s)
            pending = self._schedule.next_ts()
            if pending is not None and self._t < pending < t1:
                t1 = pending  # split the step so a plug event takes effect at its exact time
            lapse = self._evs.next_expiry_ts()
            if self._t < lapse < t1:
                t1 = lapse  # and so that a setpoint lapses at its exact end
            self._step(t1)
            self._plug(self._schedule.pop_due(t1))
        self._evs.expire(self._t)
        self._flush()

    def _step(self, t1: float) -> None:
        leaving = self._evs.step(self._t, t1)
        if self._observer is not None:
            self._observer.stepped(self._t, t1, self._evs, leaving)
        self._t = t1
        plugged, power = self._evs.plugged_in, self._evs.power_kw
        self._measured = power
        if self._noise > 0:
            self._measured = np.where(plugged, power + self._rng.normal(0.0, self._noise, len(power)), 0.0)
        for i in np.flatnonzero(leaving):
            self._emit(GatewayEventKind.PLUGGED_OUT, int(i), float(self._evs.departure_ts[i]), "departure")
        setpoint = self._evs.setpoint_kw
        for i in self._drift.update(t1, self._measured, setpoint, plugged & self._online):
            detail = f"measured {self._measured[i]:.2f} kW, setpoint {setpoint[i]:.2f} kW"
            self._emit(GatewayEventKind.DRIFT, int(i), t1, detail)

    def _plug(self, events: list[PlugEvent]) -> None:
        for event in events:
            i = self._pos[event.ev_id]
            departure_ts = None if event.departure is None else event.departure.timestamp()
            changed = self._evs.plug(i, event.plugged_in, event.soc, departure_ts, event.used_kwh)
            if self._observer is not None:
                self._observer.plugged(event, i, self._evs)
            if changed:
                self._measured[i] = 0.0
                kind = GatewayEventKind.PLUGGED_IN if event.plugged_in else GatewayEventKind.PLUGGED_OUT
                self._emit(kind, i, event.at.timestamp(), "arrival" if event.plugged_in else "unplugged")

    def _emit(self, kind: GatewayEventKind, i: int, ts: float, detail: str) -> None:
        # An offline charger cannot tell anyone; the ONLINE event prompts a fresh read instead.
        if self._online[i] or kind is GatewayEventKind.OFFLINE:
            self._pending.append(GatewayEvent(kind, self._ids[i], datetime.fromtimestamp(ts, UTC), detail))

    def _flush(self) -> None:
        events, self._pending = self._pending, []
        self._subscribers.emit(events)
