"""Dashboard speed at 10,000 EVs: `python benchmarks/bench_dashboard.py` (needs /usr/bin/chromium for part 3).

A mock VTN (its own process, as a utility's VTN would be) and a VEN of 10,000 EVs (fleetgen's mix over
40 sites, policy optimal, control period 10 s, sampling 2 s, real time unless --time-scale X), with an event
of 12 five-minute intervals running; then:
1. GET /api/dashboard over loopback HTTP, the first request after a new telemetry sample has been taken
   and sent (the snapshot is rebuilt) and a request right after it (cached); median and p90 of 20 each,
   and the JSON's size.
   Target: <= 100 ms.
2. The same body built without HTTP (StatusView.dashboard + model_dump_json), median of 20.
3. The page in headless Chromium at 10,000 EVs: the time it takes to render one snapshot (measured by the
   page, `data-render-ms`) over 10 snapshots, and from choosing a site in the EV table to its rows showing,
   median of 5.
The VEN keeps dispatching the event meanwhile (same event loop): figures include that load, and with
--time-scale 30 (30 times the dispatch work per second) they show how far dispatch steps hold the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from playwright.async_api import async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleetgen import T0, make_fleet

from ven.http.fleetview import EvQuery
from ven.http.server import bound_port
from ven.runtime.app import VenApp
from ven.runtime.config import load_config

EVS = 10_000
SAMPLES = 20
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def write_fleet(path: Path) -> None:
    shift = datetime.now(UTC) - T0
    rows = [
        "ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,departure,departure_soc,plugged_in,priority"
    ]
    for ev in make_fleet(EVS).evs:
        departure = "" if ev.departure is None else (ev.departure + shift).isoformat()
        rows.append(
            f"{ev.ev_id},{ev.site},{ev.capacity_kwh},{ev.soc:.4f},{ev.max_charge_kw},{ev.max_discharge_kw},"
            f"{departure},{ev.departure_soc},{str(ev.plugged_in).lower()},{ev.priority}"
        )
    path.write_text("\n".join(rows) + "\n")


def write_config(folder: Path, vtn_url: str, time_scale: float) -> Path:
    write_fleet(folder / "fleet.csv")
    path = folder / "ven.toml"
    path.write_text(
        f"""[ven]
name = "bench-ven"
vtn_url = "{vtn_url}"
[fleet]
file = "fleet.csv"
[chargers]
time_scale = {time_scale}
[dispatch]
control_period = "{10 * time_scale:g}s"
[reports]
sampling = "{2 * time_scale:g}s"
[storage]
url = "sqlite:///ven.db"
[http]
listen = "127.0.0.1:0"
"""
    )
    return path


def ms(values: list[float]) -> str:
    quantiles = statistics.quantiles(values, n=10) if len(values) > 1 else values
    return f"median {statistics.median(values):.1f} ms, p90 {quantiles[-1]:.1f} ms (n={len(values)})"


async def wait_for(predicate, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        await asyncio.sleep(0.02)


async def after_a_sample(app: VenApp) -> None:
    """Until a new telemetry sample has been taken and its report sent (the VEN's state has changed)."""
    sample = app.sampler.latest
    await wait_for(lambda: app.sampler.latest is not sample)
    await asyncio.sleep(0.3)


async def http_figures(app: VenApp, session: aiohttp.ClientSession, url: str) -> None:
    rebuilt, cached, size = [], [], 0
    for _ in range(SAMPLES):
        await after_a_sample(app)
        for times in (rebuilt, cached):
            began = time.perf_counter()
            async with session.get(url) as response:
                body = await response.read()
            times.append((time.perf_counter() - began) * 1000)
            size = len(body)
    print(f"GET /api/dashboard, snapshot rebuilt (first request after a new sample): {ms(rebuilt)}")
    print(f"GET /api/dashboard, cached (the next request):                          {ms(cached)}")
    print(f"JSON size {size / 1000:.0f} kB (snapshot + one page of 50 EVs)")
    built = []
    for _ in range(SAMPLES):
        await after_a_sample(app)
        began = time.perf_counter()
        app.status.dashboard(EvQuery()).model_dump_json()
        built.append((time.perf_counter() - began) * 1000)
    print(f"built without HTTP (StatusView.dashboard + model_dump_json, rebuilt):   {ms(built)}")


async def page_figures(url: str, folder: Path) -> None:
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(folder / "profile"),
            executable_path="/usr/bin/chromium",
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        page = await context.new_page()
        await page.goto(url)
        await page.get_by_test_id("evs").locator("tr").nth(49).wait_for()
        renders = []
        last = None
        while len(renders) < 10:
            time_shown = await page.evaluate("document.body.dataset.time")
            if time_shown != last:
                last = time_shown
                renders.append(float(await page.evaluate("document.body.dataset.renderMs")))
            await asyncio.sleep(0.05)
        print(f"page: rendering one snapshot of 10,000 EVs: {ms(renders)}")
        filters = []
        for site in ("site3", "site17", "site25", "site31", "site8"):
            began = time.perf_counter()
            await page.get_by_test_id("ev-site").select_option(site)
            await page.locator(f'#evs tr:first-child td:nth-child(2):text-is("{site}")').wait_for()
            filters.append((time.perf_counter() - began) * 1000)
        print(f"page: choosing a site until its EVs show:   {ms(filters)}")
        await context.close()


async def main(time_scale: float) -> None:
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # openleadr's report jobs, late under load
    print(
        f"dashboard benchmark: {EVS:,} EVs over 40 sites, an event running (policy optimal, "
        f"time x{time_scale:g}); {os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}, "
        f"python {sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        folder = Path(tmp)
        vtn = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "vtn_mock.cli", "serve", "--port", "0", "--admin-port", "0"),
            *("--poll-interval", "1s", "--db", str(folder / "vtn.sqlite")),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert vtn.stdout is not None
        ready = json.loads(await vtn.stdout.readline())
        app = VenApp.build(load_config(write_config(folder, ready["openadr_url"], time_scale)))
        stop = asyncio.Event()
        task = asyncio.create_task(app.run(stop))
        try:
            await wait_for(lambda: app.client.registration is not None and app.sampler.latest is not None)
            assert app.http is not None
            base = f"http://127.0.0.1:{bound_port(app.http)}/"
            baseline = app.sampler.latest.baseline_kw if app.sampler.latest else 0.0
            start = app.clock.now() + timedelta(seconds=5 * time_scale)
            body = {
                "ven": "bench-ven",
                "signal": "LOAD_DISPATCH",
                "start": start.isoformat(),
                "intervals": [{"duration": "5m", "value": -round(0.3 * baseline)}] * 12,
            }
            async with aiohttp.ClientSession() as session:
                async with session.post(f"{ready['admin_url']}/events", json=body) as response:
                    assert response.status == 201, await response.text()
                await wait_for(
                    lambda: app.controller.executing is not None and app.controller.last_plan is not None
                )
                await http_figures(app, session, base + "api/dashboard")
            await page_figures(base, folder)
        finally:
            stop.set()
            await asyncio.wait_for(task, 60)
            vtn.terminate()
            await vtn.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=1.0, help="simulated seconds per wall second")
    asyncio.run(main(parser.parse_args().time_scale))
