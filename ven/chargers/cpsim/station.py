"""One simulated charging station: connects to a CSMS, reports its EV and follows its charging profile.

On start it sends BootNotification and StatusNotification, and with an EV plugged in a TransactionEvent
Started (meter values: power, SoC) and NotifyEVChargingNeeds; then a TransactionEvent Updated every
`meter_interval_s` and after every profile change. Light enough to run 1,000 in one process.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import ssl
from collections.abc import Coroutine
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from ven.chargers.cpsim import messages
from ven.chargers.cpsim.ev import Control, EvSpec, Limit, Setpoint, StationEV
from ven.chargers.cpsim.handlers import STATION_CHARGE_POINTS, Behaviour
from ven.chargers.ocpp.wire import OcppVersion
from ven.clock import Clock, SystemClock

_W_PER_KW = 1000.0
logger = logging.getLogger(__name__)


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
    ) -> None:
        self.charger_id, self.version = charger_id, version
        self.behaviour = Behaviour.NORMAL
        self.ev = StationEV(ev)
        self.plugged_in = plugged_in
        self.profiles_received = 0
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
        self.plugged_in, self.ev.control = False, None
        await self._transaction("Ended", "EVDeparted")
        await self._call(messages.status_notification(self.version, occupied=False, at=self._now()))

    async def report(self) -> None:
        """Send a TransactionEvent Updated with the meter values now."""
        await self._transaction("Updated", "MeterValuePeriodic")

    # -- what the handlers call -------------------------------------------------------------------------

    def profile_received(self, charging_profile: dict[str, Any]) -> bool:
        control = _control(charging_profile)
        if not self.plugged_in or control is None:
            return False
        self._advance()
        self.ev.control = control
        self.profiles_received += 1
        self._spawn(self._transaction("Updated", "ChargingRateChanged"))
        return True

    def profile_cleared(self) -> bool:
        self._advance()
        had, self.ev.control = self.ev.control, None
        self._spawn(self._transaction("Updated", "ChargingRateChanged"))
        return had is not None

    # -- state --------------------------------------------------------------------------------------------

    @property
    def power_kw(self) -> float:
        return self.ev.power_kw() if self.plugged_in else 0.0

    @property
    def soc(self) -> float:
        return self.ev.soc

    @property
    def control(self) -> Control:
        return self.ev.control

    # -- internals ------------------------------------------------------------------------------------------

    async def _begin_session(self) -> None:
        self._advance()
        await self._transaction("Started", "CablePluggedIn")
        await self._call(messages.ev_charging_needs(self.version, self.ev.spec, soc=self.ev.soc))

    async def _transaction(self, event_type: str, trigger: str) -> None:
        meter = messages.meter_value(self.version, power_kw=self.power_kw, soc=self.ev.soc, at=self._now())
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
        with contextlib.suppress(ConnectionClosed):
            async for raw in connection:
                await self._charge_point.route_message(raw)

    async def _call(self, payload: Any) -> Any:
        skip = not self._validate
        return await self._charge_point.call(payload, suppress=False, skip_schema_validation=skip)

    def _advance(self) -> None:
        now_ts = self._clock.now().timestamp()
        if self.plugged_in:
            self.ev.advance(now_ts - self._last_ts)
        self._last_ts = now_ts

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


def _control(charging_profile: dict[str, Any]) -> Control:
    """The first period of the profile's first schedule, as a control; None if it has none we follow."""
    schedules = charging_profile.get("charging_schedule") or []
    periods = (schedules[0].get("charging_schedule_period") or []) if schedules else []
    if not periods or schedules[0].get("charging_rate_unit") != "W":
        return None
    period = periods[0]
    if period.get("setpoint") is not None:
        return Setpoint(
            power_kw=float(period["setpoint"]) / _W_PER_KW,
            max_charge_kw=float(period.get("limit", float("inf"))) / _W_PER_KW,
            max_discharge_kw=-float(period.get("discharge_limit", 0.0)) / _W_PER_KW,
        )
    if period.get("limit") is not None:
        return Limit(float(period["limit"]) / _W_PER_KW)
    return None
