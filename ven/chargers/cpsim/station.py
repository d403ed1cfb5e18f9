"""One simulated charging station: connects to a CSMS, reports its EV and follows its charging profile.

On start it sends BootNotification and StatusNotification, and with an EV plugged in a TransactionEvent
Started (meter values: power, SoC) and NotifyEVChargingNeeds; then a TransactionEvent Updated every
`meter_interval_s` and whenever its charging rate changes, including when a profile lapses by itself (its
validTo or schedule duration passed, or the station was offline longer than its maxOfflineDuration): the
station then falls back to its TxDefaultProfile, or to unmanaged charging (ven.chargers.cpsim.profiles),
with no CSMS needed. Light enough to run 1,000 in one process.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import math
import ssl
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from ven.chargers.cpsim import messages
from ven.chargers.cpsim.ev import Control, EvSpec, StationEV
from ven.chargers.cpsim.handlers import STATION_CHARGE_POINTS, Behaviour
from ven.chargers.cpsim.profiles import TX_PROFILE, Profile, ProfileStack, parse_profile
from ven.chargers.ocpp.wire import OcppVersion
from ven.clock import Clock, SystemClock

logger = logging.getLogger(__name__)
_MIN_STEP_S = 1e-3  # reads closer together than this share one integration step
_RATE_TOL_KW = 1e-3  # a charging rate that moved less than this has not changed


@dataclass(frozen=True, slots=True)
class MeterRecord:
    """What a station metered and reported in one TransactionEvent (for observers such as a log)."""

    charger_id: str
    ts: float
    trigger: str
    power_kw: float
    soc: float
    managed: bool  # a TxProfile governs the EV; False: its default profile or unmanaged charging
    until_ts: float | None  # when the governing TxProfile lapses by itself (its validTo), if managed


class SimStation:
    """A station serving one EV; `behaviour` makes it reject, ignore or hang up on CSMS calls."""

    def __init__(
        self,
        charger_id: str,
        csms_url: str,
        version: OcppVersion,
        ev: EvSpec,
        *,
        clock: Clock | None = None,
        plugged_in: bool = True,
        meter_interval_s: float = 10.0,
        password: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        call_timeout_s: float = 10.0,
        validate: bool = True,
        observer: Callable[[MeterRecord], None] | None = None,
    ) -> None:
        self.charger_id, self.version = charger_id, version
        self.behaviour = Behaviour.NORMAL
        self.ev = StationEV(ev)
        self.plugged_in = plugged_in
        self.profiles_received = 0  # TxProfiles taken (the CSMS's setpoints)
        self._profiles = ProfileStack()
        self._offline_since_ts: float | None = None
        self._profiles_changed = asyncio.Event()
        self._observer = observer
        self._url = f"{csms_url.rstrip('/')}/{charger_id}"
        self._clock = clock or SystemClock()
        self._meter_interval_s, self._call_timeout_s = meter_interval_s, call_timeout_s
        self._password, self._ssl = password, ssl_context
        self._validate = validate  # schema-check every frame both ways (off: benchmarks of the CSMS alone)
        self._connection: ClientConnection | None = None
        self._charge_point: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._seq_no = 0
        self._last_ts = self._clock.now().timestamp()
        self.transaction_id = f"tx-{charger_id}"[:36]

    # -- lifecycle --------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, boot, report the EV, and keep metering in the background."""
        headers = {}
        if self._password is not None:
            token = base64.b64encode(f"{self.charger_id}:{self._password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        self._connection = await connect(
            self._url,
            subprotocols=[self.version.value],  # type: ignore[list-item]
            additional_headers=headers,
            ssl=self._ssl,
            compression=None,
            open_timeout=self._call_timeout_s,
        )
        if self._connection.subprotocol != self.version.value:
            await self._connection.close()
            raise ConnectionError(f"{self.charger_id}: the CSMS did not accept {self.version.value}")
        self._charge_point = STATION_CHARGE_POINTS[self.version](
            self.charger_id, self._connection, self, response_timeout_s=self._call_timeout_s
        )
        if not self._validate:
            for route in self._charge_point.route_map.values():
                route["_skip_schema_validation"] = True
        self._spawn(self._receive())
        self._spawn(self._profile_timer())
        await self._call(messages.boot_notification(self.version))
        await self._call(messages.status_notification(self.version, occupied=self.plugged_in, at=self._now()))
        if self.plugged_in:
            await self._begin_session()
        if self._meter_interval_s > 0:
            self._spawn(self._meter_loop())

    async def close(self) -> None:
        """Stop metering and close the connection (a clean close)."""
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()

    async def hang_up(self) -> None:
        """Drop the connection as a station losing its network would (no clean OCPP goodbye)."""
        if self._connection is not None:
            self._connection.transport.abort()

    async def plug_in(self) -> None:
        self.plugged_in = True
        await self._call(messages.status_notification(self.version, occupied=True, at=self._now()))
        await self._begin_session()

    async def plug_out(self) -> None:
        self._advance()
        self.plugged_in = False
        self._profiles.clear(purpose=TX_PROFILE)  # a TxProfile belongs to its transaction
        self._advance()
        await self._transaction("Ended", "EVDeparted")
        await self._call(messages.status_notification(self.version, occupied=False, at=self._now()))

    async def report(self) -> None:
        """Send a TransactionEvent Updated with the meter values now."""
        await self._transaction("Updated", "MeterValuePeriodic")

    # -- what the handlers call -------------------------------------------------------------------------

    def profile_received(self, charging_profile: dict[str, Any]) -> bool:
        profile = parse_profile(charging_profile)
        if profile is None or (profile.purpose == TX_PROFILE and not self.plugged_in):
            return False
        self._advance()
        before_kw = self.power_kw
        self._profiles.install(profile)
        self.profiles_received += profile.purpose == TX_PROFILE
        self._profile_change(before_kw)
        return True

    def profile_cleared(self, profile_id: int | None = None, purpose: str | None = None) -> bool:
        """Remove the matching profiles (all without criteria, as a local override would)."""
        before_kw = self.power_kw
        found = self._profiles.clear(profile_id, purpose)
        self._profile_change(before_kw)
        return found

    # -- state --------------------------------------------------------------------------------------------

    @property
    def power_kw(self) -> float:
        self._advance()
        return self.ev.power_kw() if self.plugged_in else 0.0

    @property
    def soc(self) -> float:
        self._advance()
        return self.ev.soc

    @property
    def control(self) -> Control:
        """The setpoint or limit of the TxProfile in force now; None: default profile or unmanaged."""
        self._advance()
        return self.ev.control if self._managed(self._clock.now().timestamp()) else None

    @property
    def profiles(self) -> tuple[Profile, ...]:
        """The charging profiles installed now, lapsed ones included (read-only view)."""
        return self._profiles.installed()

    def run_until(self, ts: float) -> None:
        """Let the EV charge on, offline, under whatever profile governs, until `ts` (a simulation's end)."""
        self._advance(ts)

    # -- internals ------------------------------------------------------------------------------------------

    async def _begin_session(self) -> None:
        self._advance()
        await self._transaction("Started", "CablePluggedIn")
        await self._call(messages.ev_charging_needs(self.version, self.ev.spec, soc=self.ev.soc))

    async def _transaction(self, event_type: str, trigger: str) -> None:
        power_kw = self.power_kw
        meter = messages.meter_value(self.version, power_kw=power_kw, soc=self.ev.soc, at=self._now())
        if self._observer is not None:
            now_ts = self._clock.now().timestamp()
            tx = self._tx_profile(now_ts)
            until = None if tx is None else tx.valid_to_ts
            record = MeterRecord(
                self.charger_id, now_ts, trigger, power_kw, self.ev.soc, tx is not None, until
            )
            self._observer(record)
        self._seq_no += 1
        await self._call(
            messages.transaction_event(
                self.version,
                event_type=event_type,
                trigger=trigger,
                seq_no=self._seq_no,
                transaction_id=self.transaction_id,
                at=self._now(),
                meter=meter,
            )
        )

    async def _meter_loop(self) -> None:
        while True:
            await asyncio.sleep(self._meter_interval_s)
            self._advance()
            if self.plugged_in:
                await self.report()
            else:
                await self._call(messages.heartbeat(self.version))

    async def _receive(self) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            with contextlib.suppress(ConnectionClosed):
                async for raw in connection:
                    await self._charge_point.route_message(raw)
        finally:  # the CSMS is gone: profiles with a maxOfflineDuration start counting
            self._advance()
            self._offline_since_ts = self._clock.now().timestamp()
            self._profile_change()

    async def _profile_timer(self) -> None:
        """Wake when a profile starts or lapses by itself, and report the new charging rate."""
        while True:
            now_ts = self._clock.now().timestamp()
            wait_s = self._profiles.next_change_ts(now_ts, self._offline_since_ts) - now_ts
            self._profiles_changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(None if math.isinf(wait_s) else max(wait_s, 0.0) + 1e-3):
                    await self._profiles_changed.wait()
                    continue
            before_kw = self.ev.power_kw() if self.plugged_in else 0.0  # the rate before the boundary
            self._profile_change(before_kw)

    def _profile_change(self, before_kw: float | None = None) -> None:
        """Profiles changed: re-arm the timer; report the new rate if it differs from `before_kw`."""
        self._profiles_changed.set()
        if before_kw is not None and self.plugged_in and abs(self.power_kw - before_kw) > _RATE_TOL_KW:
            self._spawn(self._transaction("Updated", "ChargingRateChanged"))

    def _managed(self, now_ts: float) -> bool:
        return self._tx_profile(now_ts) is not None

    def _tx_profile(self, now_ts: float) -> Profile | None:
        governing = self._profiles.governing(now_ts, self._offline_since_ts)
        return governing if governing is not None and governing.purpose == TX_PROFILE else None

    async def _call(self, payload: Any) -> Any:
        skip = not self._validate
        return await self._charge_point.call(payload, suppress=False, skip_schema_validation=skip)

    def _advance(self, until_ts: float | None = None) -> None:
        """Integrate the EV up to now (or `until_ts`), piece by piece as profiles start and lapse."""
        end_ts = self._clock.now().timestamp() if until_ts is None else until_ts
        if end_ts - self._last_ts >= _MIN_STEP_S:  # shorter: integrated with the next step, nothing lost
            t = self._last_ts
            while t < end_ts:
                t_next = min(end_ts, self._profiles.next_change_ts(t, self._offline_since_ts))
                self.ev.control = self._composite(t)
                if self.plugged_in:
                    self.ev.advance(t_next - t)
                t = t_next
            self._last_ts = end_ts
        self.ev.control = self._composite(self._last_ts)

    def _composite(self, ts: float) -> Control:
        governing = self._profiles.governing(ts, self._offline_since_ts)
        return None if governing is None else governing.control

    def _now(self) -> Any:
        return self._clock.now()

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if isinstance(error, ConnectionClosed):
            logger.debug("%s: connection closed under a background send", self.charger_id)
        elif error is not None:
            logger.error("%s: background task failed", self.charger_id, exc_info=error)
