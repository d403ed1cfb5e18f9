"""`ven demo --chargers ocpp`: every EV behind a simulated OCPP station, the VEN as their CSMS.

Stations live in real time (the OCPP backend runs at time_scale 1), so the 3-hour showcase event cannot
run as it is: the demo runs its first `COMPRESSED_INTERVALS` intervals, each `COMPRESSED_INTERVAL` long,
at the same kW. The stations (ven.chargers.cpsim) connect over websockets on a free loopback port to the
VEN's OCPP backend: OCPP 2.1 for the V2G-capable EVs, 2.0.1 for the V1G-only ones. Their EVs are the
truth the demo records (SOC, power), as the simulated fleet is on the default path. Departure SOC is
checked as on the default path: once the VEN has stopped, every station charges its EV on by itself
(its TxProfile cleared or lapsed: the TxDefaultProfile, baseline behaviour) until the EV leaves.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from ven.chargers.cpsim import SimStation, close_all, start_all, stations_for, version_for
from ven.chargers.ocpp import OcppGateway, OcppVersion
from ven.demo import departures
from ven.errors import V2XError

if TYPE_CHECKING:
    from ven.clock import Clock
    from ven.demo.progress import Progress
    from ven.demo.showcase import Showcase
    from ven.model.fleet import BoolArray, Fleet, FloatArray
    from ven.runtime.app import VenApp
    from ven.runtime.config import VenConfig

COMPRESSED_INTERVALS = 4
COMPRESSED_INTERVAL = timedelta(seconds=10)
# Each station's TransactionEvent Updated cadence (meter values: power, SOC), the VEN's sampling period: a
# station meters at once when its rate changes, so a faster cadence adds no news, only load (90 stations
# and the VEN share one event loop; at 1 s, answers to setpoints took over 5 s beside two busy loops).
METER_INTERVAL_S = 2.0
CONNECT_TIMEOUT_S = 30.0
# Renewing ~90 profiles, with the stations simulated in the VEN's own process, takes up to ~5 s on a busy
# 2-core machine: a TTL of two 2-second control periods would let setpoints lapse between renewals. One
# (compressed) interval leaves margin; the EVs leave hours later, so the longer hold costs no delivery.
SETPOINT_TTL = COMPRESSED_INTERVAL


class StationsError(V2XError):
    """The simulated stations could not be brought up against the VEN's CSMS."""


def compress(showcase: Showcase) -> Showcase:
    """The showcase event's first intervals, each COMPRESSED_INTERVAL long, same values."""
    original = showcase.event.intervals[:COMPRESSED_INTERVALS]
    intervals = [i.model_copy(update={"duration": COMPRESSED_INTERVAL}) for i in original]
    factor = original[0].duration / COMPRESSED_INTERVAL
    event = showcase.event.model_copy(update={"intervals": intervals})
    return replace(showcase, event=event, time_compression=factor)


def configure(config: VenConfig) -> VenConfig:
    """The demo's VEN config on the OCPP backend: a free loopback port, real time, short cadences."""
    return config.model_copy(
        update={
            "chargers": config.chargers.model_copy(
                update={
                    "backend": "ocpp",
                    "ocpp_listen": "127.0.0.1:0",
                    "time_scale": 1.0,
                    "setpoint_ttl": SETPOINT_TTL,
                }
            ),
            "dispatch": config.dispatch.model_copy(update={"control_period": timedelta(seconds=2)}),
            "reports": config.reports.model_copy(update={"sampling": timedelta(seconds=2)}),
        }
    )


class StationSwarm:
    """One simulated station per EV of `fleet`, in fleet order; the FleetTruth of the OCPP demo."""

    def __init__(self, fleet: Fleet, csms_url: str, clock: Clock) -> None:
        self.fleet = fleet
        self._clock = clock
        self.stations: list[SimStation] = stations_for(
            fleet,
            csms_url,
            version=version_for,
            clock=clock,
            meter_interval_s=METER_INTERVAL_S,
            validate=False,  # the VEN's CSMS schema-checks every frame; checking them twice only costs CPU
        )
        self._ran_to: datetime | None = None  # set once the EVs were run on past their departures

    def count(self, version: OcppVersion) -> int:
        return sum(1 for s in self.stations if s.version is version)

    async def start(self, gateway: OcppGateway) -> None:
        """Connect every station and wait until the CSMS has each one online, with its EV's session."""
        await start_all(self.stations)
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        pairs = list(zip(self.fleet.ids, self.stations, strict=True))
        while not all(self._seen(gateway, ev_id, station) for ev_id, station in pairs):
            if time.monotonic() > deadline:
                raise StationsError(f"the CSMS did not see every station within {CONNECT_TIMEOUT_S:.0f} s")
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        await close_all(self.stations)

    def sync(self) -> None:
        """Nothing to do: each station integrates its EV whenever it meters (every METER_INTERVAL_S)."""

    def now(self) -> datetime:
        return self._ran_to or self._clock.now()

    def run_past_departures(self, mask: BoolArray) -> float:
        """Run each `mask`ed station's EV on, alone, until it leaves; the hours run (the longest one)."""
        now_ts = self._clock.now().timestamp()
        leaving = mask & (self.fleet.departure_ts > now_ts)
        for station, departure_ts in zip(self.stations, self.fleet.departure_ts, strict=True):
            if departure_ts > now_ts and np.isfinite(departure_ts):
                station.run_until(float(departure_ts))
        last_ts = float(self.fleet.departure_ts[mask].max()) if mask.any() else now_ts
        self._ran_to = datetime.fromtimestamp(max(last_ts, now_ts) + 1.0, self._clock.now().tzinfo)
        return float(max(last_ts - now_ts, 0.0) / 3600.0) if leaving.any() else 0.0

    @property
    def soc(self) -> FloatArray:
        return np.array([s.soc for s in self.stations], dtype=np.float64)

    @property
    def power_kw(self) -> FloatArray:
        return np.array([s.power_kw for s in self.stations], dtype=np.float64)

    @staticmethod
    def _seen(gateway: OcppGateway, ev_id: str, station: SimStation) -> bool:
        state = gateway.station(ev_id)
        return state.online and state.plugged_in == station.plugged_in


async def connect(app: VenApp, task: asyncio.Task[None], progress: Progress) -> StationSwarm:
    """Once the VEN's CSMS listens, start a station for each of its EVs against it."""
    gateway = app.gateway
    if not isinstance(gateway, OcppGateway):
        raise StationsError('--chargers ocpp needs the VEN on [chargers] backend = "ocpp"')
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while (port := _port(gateway)) is None:
        if task.done():
            task.result()  # the VEN stopped: its error says why
            raise StationsError("the VEN stopped before its CSMS listened")
        if time.monotonic() > deadline:
            raise StationsError(f"the VEN's CSMS did not listen within {CONNECT_TIMEOUT_S:.0f} s")
        await asyncio.sleep(0.05)
    url = f"ws://127.0.0.1:{port}"
    swarm = StationSwarm(app.fleet, url, app.clock)
    began = time.monotonic()
    try:
        await swarm.start(gateway)
    except BaseException:
        await swarm.close()
        raise
    progress(
        f"CSMS {url}: {len(swarm.stations)} simulated stations online in {time.monotonic() - began:.1f} s "
        f"({swarm.count(OcppVersion.V21)} OCPP 2.1 V2G, {swarm.count(OcppVersion.V201)} OCPP 2.0.1 V1G)"
    )
    return swarm


def _port(gateway: OcppGateway) -> int | None:
    try:
        return gateway.port
    except RuntimeError:  # not listening yet
        return None


def departure_check(
    fleet: Fleet, swarm: StationSwarm, progress: Progress
) -> tuple[departures.DepartureCheck, str]:
    """Run the stations' EVs on past the last departure (the VEN stopped), then check who left short."""
    mask = departures.watched(fleet)
    hours = swarm.run_past_departures(mask)
    check = departures.check(swarm, fleet, mask)
    note = (
        f"after the real-time run, each station charged its EV on by itself for up to {hours:.1f} h, "
        f"until it left: {check.departed} of {check.watched} EVs left, {len(check.violations)} below "
        "departure SOC"
    )
    progress(note)
    return check, note
