"""Many simulated stations at once: one per EV of a fleet, connected with bounded concurrency."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence

from ven.chargers.cpsim.ev import EvSpec
from ven.chargers.cpsim.station import MeterRecord, SimStation
from ven.chargers.ocpp.wire import OcppVersion
from ven.clock import Clock
from ven.model.fleet import EV, Fleet


def ev_spec(ev: EV) -> EvSpec:
    """The simulated vehicle matching an enrollment row."""
    return EvSpec(
        capacity_kwh=ev.capacity_kwh,
        soc=ev.soc,
        max_charge_kw=ev.max_charge_kw,
        max_discharge_kw=ev.max_discharge_kw,
        target_soc=ev.target_soc,
        efficiency=ev.efficiency,
        departure=ev.departure,
        departure_soc=ev.departure_soc,
    )


def version_for(ev: EV) -> OcppVersion:
    """OCPP 2.1 (bidirectional) for an EV that can discharge, 2.0.1 (V1G only) for one that cannot."""
    return OcppVersion.V21 if ev.max_discharge_kw > 0 else OcppVersion.V201


def stations_for(
    fleet: Fleet,
    csms_url: str,
    *,
    version: OcppVersion | Callable[[EV], OcppVersion] = OcppVersion.V21,
    clock: Clock | None = None,
    meter_interval_s: float = 10.0,
    passwords: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    validate: bool = True,
    observer: Callable[[MeterRecord], None] | None = None,
) -> list[SimStation]:
    """One station per EV at its charger_id, speaking `version` (or `version(ev)`)."""
    return [
        SimStation(
            ev.charger_id,
            csms_url,
            version(ev) if callable(version) else version,
            ev_spec(ev),
            clock=clock,
            plugged_in=ev.plugged_in,
            meter_interval_s=meter_interval_s,
            password=None if passwords is None else passwords.get(ev.charger_id),
            ssl_context=ssl_context,
            validate=validate,
            observer=observer,
        )
        for ev in fleet.evs
    ]


async def start_all(stations: Sequence[SimStation], concurrency: int = 50) -> None:
    """Start every station, at most `concurrency` handshakes at a time (a listen backlog is finite)."""
    gate = asyncio.Semaphore(concurrency)

    async def start(station: SimStation) -> None:
        async with gate:
            await station.start()

    await asyncio.gather(*(start(s) for s in stations))


async def close_all(stations: Iterable[SimStation]) -> None:
    await asyncio.gather(*(s.close() for s in stations))
