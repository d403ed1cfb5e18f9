"""The runtime against a real openleadr VTN on 127.0.0.1: a VTN that records what it receives, a small
fleet and config in tmp_path, and an in-process VenApp (or a `ven run` subprocess)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.openadr.conftest import Vtn, free_port
from ven.chargers.gateway import ChargerGateway
from ven.runtime.app import VenApp
from ven.runtime.config import load_config

FLEET_CSV = """ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,min_soc,target_soc
ev1,depot,60,0.5,11,10,0.2,1.0
ev2,depot,60,0.5,11,10,0.2,1.0
ev3,depot,60,0.5,11,10,0.2,1.0
ev4,depot,60,0.5,11,0,0.2,1.0
"""
BASELINE_KW = 44.0  # four EVs charging at 11 kW, far from full
USAGE_ITEMS = ("usage", "baseline", "deltaUsage")  # registration order of the fleet's power items


@dataclass
class RecordingVtn(Vtn):
    """A VTN that keeps every reported (time, value) per fleet usage item."""

    readings: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)
    down: bool = False  # answer every request with HTTP 503: a VTN outage as the VEN sees it
    hung: bool = False  # accept every request and answer none while hung (the VEN gives up first)
    hung_requests: list[str] = field(default_factory=list)
    _resumed: asyncio.Event = field(default_factory=asyncio.Event)

    def hang(self) -> None:
        self.hung = True
        self._resumed.clear()

    def resume(self) -> None:
        """Answer again; requests still held get a 503 (long after the VEN stopped waiting for them)."""
        self.hung = False
        self._resumed.set()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if self.down:
            return web.Response(status=503)
        self.requests.append(request.path.rsplit("/", 1)[-1])
        if self.hung:
            self.hung_requests.append(request.path.rsplit("/", 1)[-1])
            await self._resumed.wait()
            return web.Response(status=503)
        response: web.StreamResponse = await handler(request)
        return response

    def _register_report(  # noqa: PLR0917
        self,
        ven_id: str,
        resource_id: str,
        measurement: str,
        unit: str | None,
        scale: str | None,
        min_sampling_interval: timedelta,
        max_sampling_interval: timedelta,
    ) -> tuple[Any, ...] | None:
        self.registered_items.append({"resource_id": resource_id, "measurement": measurement})
        if measurement == "Status":  # status payloads are recorded by the update handler (Vtn.updates)
            return (
                (lambda _values: None, timedelta(seconds=1), timedelta(seconds=1))
                if self.request_status
                else None
            )
        fleet_items = [
            i for i in self.registered_items if i["resource_id"] == "fleet" and i["measurement"] != "Status"
        ]
        if resource_id != "fleet" or len(fleet_items) > len(USAGE_ITEMS):
            return None
        name = USAGE_ITEMS[len(fleet_items) - 1]

        def receive(values: list[tuple[datetime, float]]) -> None:
            self.readings.setdefault(name, []).extend(values)

        return (receive, timedelta(seconds=1), timedelta(seconds=1))

    def event(
        self,
        ven_id: str,
        event_id: str,
        values: list[float],
        *,
        start: datetime | None = None,
        seconds: int = 2,
        **kwargs: Any,
    ) -> asyncio.Future[str]:
        """Queue a LOAD_DISPATCH delta event of `seconds`-long intervals; resolves to the optType."""
        opted: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def callback(ven_id: str, event_id: str, opt_type: str) -> None:
            if not opted.done():
                opted.set_result(opt_type)

        begin = start or datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        intervals = [
            {
                "dtstart": begin + timedelta(seconds=seconds * k),
                "duration": timedelta(seconds=seconds),
                "signal_payload": v,
            }
            for k, v in enumerate(values)
        ]
        self.server.add_event(
            ven_id=ven_id,
            event_id=event_id,
            signal_name="LOAD_DISPATCH",
            signal_type="delta",
            intervals=intervals,
            callback=callback,
            **kwargs,
        )
        return opted

    def created_for(self, event_id: str) -> list[dict[str, Any]]:
        return [r for p in self.created_events for r in p["event_responses"] if r["event_id"] == event_id]


@pytest.fixture
async def vtn() -> AsyncIterator[RecordingVtn]:
    server = RecordingVtn(free_port())
    await server.start()
    yield server
    with contextlib.suppress(Exception):
        await server.stop()


def write_config(folder: Path, vtn_url: str, **sections: str) -> Path:
    (folder / "fleet.csv").write_text(FLEET_CSV)
    defaults = {
        "ven": f'name = "test-ven"\nvtn_url = "{vtn_url}"',
        "fleet": 'file = "fleet.csv"',
        "chargers": "time_scale = 1.0",
        "dispatch": 'policy = "optimal"\ncontrol_period = "1s"',
        "reports": 'sampling = "1s"',
        "storage": 'url = "sqlite:///ven.db"',
        "http": 'listen = ""',
    }
    defaults.update(sections)
    path = folder / "ven.toml"
    path.write_text("\n".join(f"[{name}]\n{body}" for name, body in defaults.items()) + "\n")
    return path


@dataclass
class Running:
    app: VenApp
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def registered(self, timeout: float = 5.0) -> str:
        async def wait() -> str:
            while self.app.client.registration is None:
                await asyncio.sleep(0.02)
            return self.app.client.registration.ven_id

        return await asyncio.wait_for(wait(), timeout)

    async def shutdown(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 5.0)


@pytest.fixture
async def start_app() -> AsyncIterator[Callable[[Path], Awaitable[Running]]]:
    running: list[Running] = []

    async def start(config_path: Path) -> Running:
        app = VenApp.build(load_config(config_path))
        stop = asyncio.Event()
        item = Running(app, stop, asyncio.create_task(app.run(stop)))
        running.append(item)
        return item

    yield start
    for item in running:
        if not item.task.done():
            await item.shutdown()


async def settles(gateway: ChargerGateway, power_kw: float, tolerance_kw: float, timeout: float) -> None:
    """Wait until the fleet's measured power is within `tolerance_kw` of `power_kw` (AssertionError with
    the last reading after `timeout`, a hang guard)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while abs((measured := (await gateway.read()).total_power_kw) - power_kw) >= tolerance_kw:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"fleet power {measured:.1f} kW, expected {power_kw:.1f} ± {tolerance_kw} kW"
            )
        await asyncio.sleep(0.05)
