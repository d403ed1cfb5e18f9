"""`ven demo --chargers ocpp`: every EV behind a simulated OCPP station, the VEN as their CSMS.

Stations live in real time (the OCPP backend runs at time_scale 1), so the 3-hour showcase event cannot
run as it is: the demo runs its first `COMPRESSED_INTERVALS` intervals, each `COMPRESSED_INTERVAL` long,
at the same kW. The stations (ven.chargers.cpsim) connect over websockets on a free loopback port to the
VEN's OCPP backend: OCPP 2.1 for the V2G-capable EVs, 2.0.1 for the V1G-only ones. Their EVs are the
truth the demo records (SOC, power), as the simulated fleet is on the default path.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from ven.chargers.cpsim import SimStation, close_all, start_all, stations_for
from ven.chargers.ocpp import OcppGateway, OcppVersion
from ven.demo import departures
from ven.errors import V2XError

if TYPE_CHECKING:
    from ven.clock import Clock
    from ven.demo.progress import Progress
    from ven.demo.showcase import Showcase
    from ven.model.fleet import EV, BoolArray, Fleet, FloatArray
    from ven.runtime.app import VenApp
    from ven.runtime.config import VenConfig

COMPRESSED_INTERVALS = 4
COMPRESSED_INTERVAL = timedelta(seconds=10)
METER_INTERVAL_S = 1.0  # each station's TransactionEvent Updated cadence (meter values: power, SOC)
CONNECT_TIMEOUT_S = 30.0


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
                update={"backend": "ocpp", "ocpp_listen": "127.0.0.1:0", "time_scale": 1.0}
            ),
            "dispatch": config.dispatch.model_copy(update={"control_period": timedelta(seconds=2)}),
            "reports": config.reports.model_copy(update={"sampling": timedelta(seconds=2)}),
        }
    )


def version_for(ev: EV) -> OcppVersion:
    """OCPP 2.1 (bidirectional) for an EV that can discharge, 2.0.1 (V1G only) for one that cannot."""
    return OcppVersion.V21 if ev.max_discharge_kw > 0 else OcppVersion.V201


class StationSwarm:
    """One simulated station per EV of `fleet`, in fleet order; the FleetTruth of the OCPP demo."""

    def __init__(self, fleet: Fleet, csms_url: str, clock: Clock) -> None:
        self.fleet = fleet
        self._clock = clock
        self.stations: list[SimStation] = stations_for(
            fleet, csms_url, version=version_for, clock=clock, meter_interval_s=METER_INTERVAL_S
        )

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
        return self._clock.now()

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


@dataclass(frozen=True)
class Outlook:
    """The watched EVs still plugged in at the end of a real-time run, against their departure SOC."""

    below: int  # below departure_soc now
    unreachable: int  # of those, could not reach it at full charge rate before their departure


def outlook(fleet: Fleet, swarm: StationSwarm, mask: BoolArray) -> Outlook:
    now_ts = swarm.now().timestamp()
    soc = swarm.soc
    staying = mask & (fleet.departure_ts > now_ts)
    below = staying & (soc < fleet.departure_soc - departures.SOC_TOLERANCE)
    hours = np.where(staying, fleet.departure_ts - now_ts, 0.0) / 3600.0
    reachable = soc + fleet.max_charge_kw * fleet.efficiency * hours / fleet.capacity_kwh
    short = below & (reachable < fleet.departure_soc - departures.SOC_TOLERANCE)
    return Outlook(below=int(below.sum()), unreachable=int(short.sum()))


def departure_check(
    fleet: Fleet, swarm: StationSwarm, progress: Progress
) -> tuple[departures.DepartureCheck, str]:
    """Departure SOC as far as a short real-time run measures it: the EVs that had to leave by now."""
    mask = departures.watched(fleet)
    check = departures.check(swarm, fleet, mask)
    ahead = outlook(fleet, swarm, mask)
    now_ts = swarm.now().timestamp()
    first = fleet.departure_ts[mask & (fleet.departure_ts > now_ts)]
    wait = f"; the next leaves in {(first.min() - now_ts) / 3600:.1f} h" if first.size else ""
    note = (
        f"real-time run: {check.departed} of {check.watched} EVs had to leave by its end, "
        f"{len(check.violations)} of them below departure SOC{wait}; of those still plugged in, "
        f"{ahead.below} are below their departure SOC now, {ahead.unreachable} could not reach it "
        "at full charge rate before they leave"
    )
    progress(note)
    return check, note
