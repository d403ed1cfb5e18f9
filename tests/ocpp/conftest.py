"""Fixtures: a CSMS (OcppGateway) on a free loopback port and simulated stations connected to it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.runtime.conftest import start_app  # noqa: F401 - the runtime tests' fixture, shared
from ven.chargers.cpsim import EvSpec, SimStation, close_all, ev_spec
from ven.chargers.gateway import GatewayEvent
from ven.chargers.ocpp import OcppGateway, OcppVersion
from ven.clock import Clock, SystemClock
from ven.model.fleet import EV, Fleet

DEPARTURE = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=6)


def later(clock: Clock | None = None) -> datetime:
    """A setpoint end well beyond any test here: the profile stands until changed."""
    return (clock or SystemClock()).now() + timedelta(hours=1)


@pytest.fixture(autouse=True)
def _quiet_ocpp() -> None:
    logging.getLogger("ocpp").setLevel(logging.WARNING)  # it logs every frame at INFO


def make_ev(ev_id: str, **changes: object) -> EV:
    values: dict[str, object] = {
        "ev_id": ev_id,
        "site": "depot",
        "capacity_kwh": 60.0,
        "soc": 0.5,
        "max_charge_kw": 11.0,
        "max_discharge_kw": 10.0,
        "departure": DEPARTURE,
    }
    values.update(changes)
    return EV(**values)  # type: ignore[arg-type]


def make_fleet(*ev_ids: str, **changes: object) -> Fleet:
    return Fleet(tuple(make_ev(ev_id, **changes) for ev_id in ev_ids))


class Csms:
    """A started gateway, the events it emitted, and a factory of stations connected to it."""

    def __init__(self, gateway: OcppGateway, url: str) -> None:
        self.gateway = gateway
        self.url = url
        self.events: list[GatewayEvent] = []
        self.stations: list[SimStation] = []
        gateway.subscribe(self.events.append)

    async def station(
        self, ev: EV, version: OcppVersion = OcppVersion.V21, *, spec: EvSpec | None = None, **options: object
    ) -> SimStation:
        options.setdefault("plugged_in", ev.plugged_in)
        options.setdefault("meter_interval_s", 0)
        station = SimStation(ev.charger_id, self.url, version, spec or ev_spec(ev), **options)  # type: ignore[arg-type]
        self.stations.append(station)
        await station.start()
        return station

    def kinds(self, ev_id: str) -> list[str]:
        return [e.kind.value for e in self.events if e.ev_id == ev_id]


@pytest.fixture
async def csms_factory() -> AsyncIterator[Callable[..., object]]:
    """Start gateways on free ports; everything started is closed at the end."""
    started: list[Csms] = []

    async def start(fleet: Fleet, clock: Clock | None = None, **options: object) -> Csms:
        gateway = OcppGateway(fleet, clock or SystemClock(), "127.0.0.1", 0, **options)  # type: ignore[arg-type]
        await gateway.start()
        scheme = "wss" if options.get("ssl_context") else "ws"
        csms = Csms(gateway, f"{scheme}://127.0.0.1:{gateway.port}")
        started.append(csms)
        return csms

    yield start
    for csms in started:
        await close_all(csms.stations)
        await csms.gateway.close()
