"""The dashboards against real parts: the mock VTN and a VEN in this event loop (both on one injected
ManualClock, so a test moves time by hand), their HTTP servers on free loopback ports, and Debian's
Chromium driven headless by Playwright (never `playwright install`: it downloads, and fails here)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import ConsoleMessage, Page, async_playwright

from tests.runtime.conftest import FLEET_CSV
from tests.waiting import until
from ven.clock import ManualClock
from ven.http.server import bound_port
from ven.runtime.app import VenApp
from ven.runtime.config import load_config
from vtn_mock.config import AdminSection, VtnConfig, VtnSection
from vtn_mock.server import RunningVtn, start_vtn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 15_000  # a guard against hangs, not a timing assertion


def big_fleet_csv(evs: int, sites: int) -> str:
    """`evs` EVs over `sites` sites, three vehicle types, departures spread over the next 20 hours."""
    now = datetime.now(UTC).replace(microsecond=0)
    rows = ["ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,min_soc,departure,departure_soc"]
    kinds = ((60, 11, 10), (80, 19.2, 9.6), (200, 60, 60))
    for i in range(evs):
        capacity, charge, discharge = kinds[i % 3]
        soc = 0.3 + (i * 37 % 60) / 100
        departure = (now + timedelta(minutes=30 + (i * 7) % 1200)).isoformat()
        rows.append(
            f"ev{i:05d},site-{i % sites:03d},{capacity},{soc:.2f},{charge},{discharge},0.2,{departure},0.8"
        )
    return "\n".join(rows) + "\n"


@dataclass
class Stack:
    """A mock VTN and a VEN on one ManualClock, with both dashboards listening."""

    clock: ManualClock
    vtn: RunningVtn
    app: VenApp
    stop: asyncio.Event
    task: asyncio.Task[None]
    session: aiohttp.ClientSession
    ven_url: str = ""

    @property
    def vtn_url(self) -> str:
        return self.vtn.dashboard_url

    async def get(self, url: str) -> Any:
        async with self.session.get(url) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def send(self, method: str, url: str, body: Any = None) -> Any:
        async with self.session.request(method, url, json=body) as response:
            assert response.status < 300, await response.text()
            return await response.json()

    async def create_event(self, start_in: timedelta, values: list[float], duration: str = "1m") -> str:
        body = {
            "ven": self.app.config.ven.name,
            "signal": "LOAD_DISPATCH",
            "start": (self.clock.now() + start_in).isoformat(),
            "intervals": [{"duration": duration, "value": v} for v in values],
        }
        return str((await self.send("POST", f"{self.vtn.admin_url}/events", body))["event_id"])

    async def advance(self, delta: timedelta) -> None:
        """Move the shared clock; the simulated fleet, the VEN and the VTN all follow it."""
        self.clock.advance(delta)  # every caller then waits on what it expects to follow

    async def advance_past_a_sample(self, delta: timedelta) -> None:
        """Move the clock by `delta`, wait for the VEN to sample there, then one report granularity (1 s) on:
        reports carry complete granularity intervals only, so that sample can go out."""
        await self.advance(delta)
        target = self.clock.now()

        async def sampled() -> bool:
            latest = self.app.sampler.latest
            return latest is not None and latest.ts >= target

        await until(sampled)
        await self.advance(timedelta(seconds=1))


def _ven_toml(folder: Path, vtn_url: str, fleet_csv: str) -> Path:
    (folder / "fleet.csv").write_text(fleet_csv)
    path = folder / "ven.toml"
    path.write_text(
        "\n".join(
            [
                "[ven]",
                'name = "dash-ven"',
                f'vtn_url = "{vtn_url}"',
                "[fleet]",
                'file = "fleet.csv"',
                "[dispatch]",
                'policy = "proportional"',
                'control_period = "1s"',
                "[reports]",
                'sampling = "1s"',
                "[storage]",
                'url = "sqlite:///ven.db"',
                "[http]",
                'listen = "127.0.0.1:0"',
            ]
        )
        + "\n"
    )
    return path


@pytest.fixture
async def start_stack(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Stack]]]:
    stacks: list[Stack] = []

    async def start(fleet_csv: str = FLEET_CSV) -> Stack:
        clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
        config = VtnConfig(
            vtn=VtnSection(
                port=0,
                poll_interval=timedelta(seconds=1),
                report_sampling=timedelta(seconds=1),
                database=str(tmp_path / "vtn.sqlite"),
            ),
            admin=AdminSection(port=0),
        )
        vtn = await start_vtn(config, clock=clock)
        app = VenApp.build(load_config(_ven_toml(tmp_path, vtn.openadr_url, fleet_csv)), clock=clock)
        stop = asyncio.Event()
        stack = Stack(clock, vtn, app, stop, asyncio.create_task(app.run(stop)), aiohttp.ClientSession())
        stacks.append(stack)

        async def ready() -> bool:
            client = app.client
            return app.http is not None and client.link_up and app.sampler.latest is not None

        await until(ready)
        assert app.http is not None
        stack.ven_url = f"http://127.0.0.1:{bound_port(app.http)}/"
        return stack

    yield start
    for stack in stacks:
        stack.stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(stack.task, 15.0)
        await stack.session.close()
        await stack.vtn.stop()


@dataclass
class Watched:
    """A page and what it did: console errors, uncaught exceptions, every URL it requested."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def clean(self, origin: str) -> None:
        """No console error, no uncaught exception, and nothing fetched from anywhere but `origin`."""
        assert self.errors == []
        assert self.requests, "the page made no request at all"
        assert [u for u in self.requests if not u.startswith(origin)] == []


@pytest.fixture
async def open_page(tmp_path: Path) -> AsyncIterator[Callable[[str], Awaitable[Watched]]]:
    """Open URLs in Debian's Chromium, headless, with a fresh user-data dir; watch what each page does."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    profile = tmp_path / "chromium-profile"
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(WAIT_MS)

        async def open_url(url: str) -> Watched:
            page = await context.new_page()
            watched = Watched(page)

            def console(message: ConsoleMessage) -> None:
                if message.type == "error":
                    watched.errors.append(message.text)

            page.on("console", console)
            page.on("pageerror", lambda error: watched.errors.append(f"uncaught: {error}"))
            page.on("request", lambda request: watched.requests.append(request.url))
            await page.goto(url)
            return watched

        try:
            yield open_url
        finally:
            await context.close()
