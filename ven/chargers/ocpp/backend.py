"""OcppGateway: the ChargerGateway seam over real charging stations speaking OCPP 2.1 / 2.0.1.

The VEN is the CSMS; stations connect to ws[s]://HOST:PORT/<charger_id>. `apply` sends each station one
TxProfile (ven.chargers.ocpp.profiles) concurrently, valid until the `valid_until` it is given, `release`
clears it, `read` returns the stations' latest meter values. Every station that boots gets the
TxDefaultProfile (baseline behaviour) it falls back to when a TxProfile lapses. What a station reports
about its EV (SOC, departure, limits) overrides the enrollment row with its charger_id: `fleet()` is the
enrolled fleet with those reports applied, and a 2.0.1 station's EV has max_discharge_kw 0 there (V1G only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ven.chargers.gateway import (
    ApplyResult,
    EventCallback,
    FleetReading,
    GatewayEvent,
    GatewayEventKind,
    Rejection,
    RejectReason,
    Subscribers,
)
from ven.chargers.ocpp import commands, profiles
from ven.chargers.ocpp.commands import Outcome, Session
from ven.chargers.ocpp.csms import CHARGE_POINTS
from ven.chargers.ocpp.server import CsmsServer
from ven.chargers.ocpp.telemetry import StationState
from ven.chargers.ocpp.wire import OcppVersion
from ven.clock import Clock
from ven.model.fleet import EV, Fleet

logger = logging.getLogger(__name__)

_V1G_ONLY = "V1G only (OCPP 2.0.1 cannot discharge): limited to 0 kW"


class OcppGateway:
    """The CSMS for `fleet`'s chargers (one station per charger_id); implements ChargerGateway.

    A command that a station rejects or does not answer within `call_timeout_s` marks its EV faulted
    (a Rejection, a FAULT or OFFLINE event, and an entry in `FleetReading.faults`) for `fault_hold_s` or
    until the station proves healthy again; a station silent for `stale_after_s` reads as offline.
    """

    def __init__(
        self,
        fleet: Fleet,
        clock: Clock,
        listen_host: str,
        listen_port: int,
        *,
        basic_auth: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        call_timeout_s: float = 5.0,
        heartbeat_s: int = 60,
        stale_after_s: float | None = None,
        fault_hold_s: float = 60.0,
    ) -> None:
        charger_ids = [ev.charger_id for ev in fleet.evs]
        if len(set(charger_ids)) != len(charger_ids):
            raise ValueError("OCPP backend: every EV needs its own charger_id")
        if call_timeout_s <= 0 or heartbeat_s <= 0 or fault_hold_s < 0:
            raise ValueError("call_timeout_s and heartbeat_s must be positive, fault_hold_s not negative")
        self._fleet, self._clock = fleet, clock
        self._ev_ids = fleet.ids
        self._ev_of = {ev.charger_id: ev.ev_id for ev in fleet.evs}
        self._evs = {ev.ev_id: ev for ev in fleet.evs}
        self._states = {ev.ev_id: StationState(ev.charger_id) for ev in fleet.evs}
        self._sessions: dict[str, Session] = {}
        self._fault_until: dict[str, float] = {}
        self._timeout_s, self._heartbeat_s = call_timeout_s, heartbeat_s
        self._stale_after_s = 3.0 * heartbeat_s if stale_after_s is None else stale_after_s
        self._fault_hold_s = fault_hold_s
        self._subscribers = Subscribers()
        self._background: set[asyncio.Task[None]] = set()
        self._server = CsmsServer(
            listen_host,
            listen_port,
            charger_ids,
            self._serve_station,
            basic_auth=basic_auth,
            ssl_context=ssl_context,
        )

    # -- the ChargerGateway seam ------------------------------------------------------------------------

    async def start(self) -> None:
        await self._server.start()

    async def close(self) -> None:
        for task in tuple(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self._server.close()

    async def apply(self, setpoints: Mapping[str, float], *, valid_until: datetime) -> ApplyResult:
        jobs: dict[str, asyncio.Future[Outcome]] = {}
        rejected: list[Rejection] = []
        v1g_only: list[str] = []
        start = self._clock.now()
        for ev_id, power_kw in setpoints.items():
            refusal = self._refusal(ev_id, power_kw)
            if refusal is None and valid_until <= start:
                refusal = Rejection(ev_id, RejectReason.INVALID, f"valid_until {valid_until} has passed")
            if refusal is not None:
                rejected.append(refusal)
                continue
            state, ev = self._states[ev_id], self._evs[ev_id]
            max_charge_kw, max_discharge_kw = self._limits(ev, state)
            target_kw = min(max(power_kw, -max_discharge_kw), max_charge_kw) + 0.0  # no -0.0
            if state.version is OcppVersion.V201 and power_kw < 0:
                v1g_only.append(ev_id)  # max_discharge_kw is 0 for it: the profile says 0 W
            payload = profiles.set_charging_profile(
                state.version or OcppVersion.V201,
                power_kw=target_kw,
                max_charge_kw=max_charge_kw,
                max_discharge_kw=max_discharge_kw,
                transaction_id=state.transaction_id or "",
                evse_id=state.evse_id,
                start=start,
                valid_until=valid_until,
            )
            state.setpoint_kw, state.setpoint_until_ts = target_kw, valid_until.timestamp()
            session = self._sessions[ev_id]
            jobs[ev_id] = asyncio.ensure_future(commands.send(session, payload, self._timeout_s))
        accepted = self._collect(jobs, await asyncio.gather(*jobs.values()), rejected)
        for ev_id in v1g_only:
            if ev_id in accepted:  # it took the 0 kW limit, but not the discharge the caller asked for
                accepted.remove(ev_id)
                rejected.append(Rejection(ev_id, RejectReason.REJECTED, _V1G_ONLY))
        return ApplyResult(tuple(accepted), tuple(rejected))

    async def release(self, ev_ids: Iterable[str] | None = None) -> ApplyResult:
        jobs: dict[str, asyncio.Future[Outcome]] = {}
        rejected: list[Rejection] = []
        for ev_id in self._ev_ids if ev_ids is None else ev_ids:
            refusal = self._refusal(ev_id, 0.0, need_transaction=False)
            if refusal is not None:
                rejected.append(refusal)
                continue
            state = self._states[ev_id]
            state.setpoint_kw, state.setpoint_until_ts = None, math.inf
            payload = profiles.clear_charging_profile(state.version or OcppVersion.V201)
            jobs[ev_id] = asyncio.ensure_future(
                commands.send(self._sessions[ev_id], payload, self._timeout_s, unknown_ok=True)
            )
        accepted = self._collect(jobs, await asyncio.gather(*jobs.values()), rejected)
        return ApplyResult(tuple(accepted), tuple(rejected))

    async def read(self) -> FleetReading:
        now = self._clock.now()
        self._expire_faults(now.timestamp())
        states = [self._states[ev_id] for ev_id in self._ev_ids]
        faults: dict[str, str] = {}
        online = np.zeros(len(states), dtype=np.bool_)
        for i, (ev_id, state) in enumerate(zip(self._ev_ids, states, strict=True)):
            online[i] = self._is_live(state, now.timestamp())
            if not online[i]:
                faults[ev_id] = "offline" if not state.online else "stale: no message from the station"
            elif state.fault is not None:
                faults[ev_id] = state.fault
        return FleetReading(
            timestamp=now,
            ev_ids=self._ev_ids,
            power_kw=np.array([s.power_kw for s in states], dtype=np.float64),
            soc=np.array([s.soc for s in states], dtype=np.float64),
            plugged_in=np.array([s.plugged_in for s in states], dtype=np.bool_),
            online=online,
            setpoint_kw=np.array([_setpoint(s, now.timestamp()) for s in states]),
            faults=faults,
        )

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        return self._subscribers.add(callback)

    # -- beyond the seam --------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the CSMS listens on (the real one when constructed with port 0)."""
        return self._server.port

    def fleet(self) -> Fleet:
        """The enrolled fleet with what the stations reported (SOC, plug, departure, limits) applied."""
        return Fleet(tuple(self._reported(ev) for ev in self._fleet.evs))

    def station(self, ev_id: str) -> StationState:
        """What the CSMS knows about the station serving `ev_id` (read-only use, for status and tests)."""
        return self._states[ev_id]

    def now(self) -> datetime:
        return self._clock.now()

    def station_changed(self, state: StationState, kinds: list[GatewayEventKind], detail: str) -> None:
        """Called by the station's ChargePoint after every message it handled."""
        self._emit(self._ev_of[state.charger_id], kinds, detail)

    def station_booted(self, state: StationState) -> None:
        """Called once a station's BootNotification is answered: install its TxDefaultProfile."""
        task = asyncio.ensure_future(self._install_default(self._ev_of[state.charger_id]))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- internals --------------------------------------------------------------------------------------

    async def _serve_station(
        self, connection: ServerConnection, charger_id: str, version: OcppVersion
    ) -> None:
        ev_id = self._ev_of[charger_id]
        state = self._states[ev_id]
        charge_point = CHARGE_POINTS[version](
            connection, state, self, heartbeat_s=self._heartbeat_s, response_timeout_s=self._timeout_s
        )
        session = Session(charge_point, connection)
        previous = self._sessions.pop(ev_id, None)
        if previous is not None:  # a station that reconnects replaces its old connection
            previous.abort()
            await previous.connection.close()
        self._sessions[ev_id] = session
        state.version, state.online, state.last_seen_ts = version, True, self._clock.now().timestamp()
        self._clear_fault(ev_id, "reconnected")
        self._emit(ev_id, [GatewayEventKind.ONLINE], f"connected ({version.value})")
        try:
            with contextlib.suppress(ConnectionClosed):  # an abrupt close is how stations often leave
                async for raw in connection:
                    await charge_point.route_message(raw)
        finally:
            session.abort()
            if self._sessions.get(ev_id) is session:
                del self._sessions[ev_id]
                state.online = False
                self._emit(ev_id, [GatewayEventKind.OFFLINE], "connection closed")

    async def _install_default(self, ev_id: str) -> None:
        session, state = self._sessions.get(ev_id), self._states[ev_id]
        if session is None:
            return
        max_charge_kw, _ = self._limits(self._evs[ev_id], state)
        payload = profiles.default_profile(state.version or OcppVersion.V201, max_charge_kw=max_charge_kw)
        outcome = await commands.send(session, payload, self._timeout_s)
        if not outcome.accepted:  # it still charges unmanaged when a TxProfile lapses: its own default
            logger.warning("%s: TxDefaultProfile not installed (%s)", state.charger_id, outcome.detail)

    def _refusal(self, ev_id: str, power_kw: float, *, need_transaction: bool = True) -> Rejection | None:
        state = self._states.get(ev_id)
        if state is None:
            return Rejection(ev_id, RejectReason.UNKNOWN_EV)
        if not math.isfinite(power_kw):
            return Rejection(ev_id, RejectReason.INVALID, f"setpoint {power_kw!r} is not finite")
        if ev_id not in self._sessions:
            return Rejection(ev_id, RejectReason.OFFLINE, "station not connected")
        if need_transaction and not state.plugged_in:
            return Rejection(ev_id, RejectReason.NOT_PLUGGED_IN, "no transaction at the station")
        return None

    def _collect(
        self, jobs: Mapping[str, object], outcomes: list[Outcome], rejected: list[Rejection]
    ) -> list[str]:
        accepted: list[str] = []
        for ev_id, outcome in zip(jobs, outcomes, strict=True):
            if outcome.accepted:
                accepted.append(ev_id)
                self._clear_fault(ev_id, "command accepted")
                continue
            reason = outcome.reason or RejectReason.REJECTED
            rejected.append(Rejection(ev_id, reason, outcome.detail))
            self._states[ev_id].setpoint_kw = None
            self._set_fault(ev_id, reason, outcome.detail)
        return accepted

    def _set_fault(self, ev_id: str, reason: RejectReason, detail: str) -> None:
        state = self._states[ev_id]
        prefix = "timeout" if reason is RejectReason.OFFLINE else "rejected"
        state.fault = f"{prefix}: {detail}"
        self._fault_until[ev_id] = self._clock.now().timestamp() + self._fault_hold_s
        kind = GatewayEventKind.OFFLINE if reason is RejectReason.OFFLINE else GatewayEventKind.FAULT
        self._emit(ev_id, [kind], detail)

    def _clear_fault(self, ev_id: str, detail: str) -> None:
        state = self._states[ev_id]
        self._fault_until.pop(ev_id, None)
        if state.fault is not None:
            state.fault = None
            self._emit(ev_id, [GatewayEventKind.FAULT_CLEARED], detail)

    def _expire_faults(self, now_ts: float) -> None:
        for ev_id, until in tuple(self._fault_until.items()):
            if now_ts >= until:
                self._clear_fault(ev_id, "fault hold time over: the station may be commanded again")

    def _is_live(self, state: StationState, now_ts: float) -> bool:
        return state.online and now_ts - state.last_seen_ts <= self._stale_after_s

    def _limits(self, ev: EV, state: StationState) -> tuple[float, float]:
        needs = state.needs
        max_charge_kw = ev.max_charge_kw if needs.max_charge_kw is None else needs.max_charge_kw
        max_discharge_kw = ev.max_discharge_kw if needs.max_discharge_kw is None else needs.max_discharge_kw
        if state.version is OcppVersion.V201:
            max_discharge_kw = 0.0
        return max_charge_kw, max_discharge_kw

    def _reported(self, ev: EV) -> EV:
        state, needs = self._states[ev.ev_id], self._states[ev.ev_id].needs
        max_charge_kw, max_discharge_kw = self._limits(ev, state)
        return replace(
            ev,
            soc=state.soc if math.isfinite(state.soc) else ev.soc,
            capacity_kwh=needs.capacity_kwh or ev.capacity_kwh,
            max_charge_kw=max_charge_kw,
            max_discharge_kw=max_discharge_kw,
            departure=needs.departure or ev.departure,
            departure_soc=ev.departure_soc if needs.departure_soc is None else needs.departure_soc,
            plugged_in=state.plugged_in and self._is_live(state, self._clock.now().timestamp()),
        )

    def _emit(self, ev_id: str, kinds: Iterable[GatewayEventKind], detail: str) -> None:
        at = self._clock.now().astimezone(UTC)
        self._subscribers.emit(GatewayEvent(kind, ev_id, at, detail) for kind in kinds)


def _setpoint(state: StationState, now_ts: float) -> float:
    """The setpoint in force at the station (NaN: none, or lapsed at its validTo)."""
    if state.setpoint_kw is None or now_ts >= state.setpoint_until_ts:
        return math.nan
    return state.setpoint_kw
