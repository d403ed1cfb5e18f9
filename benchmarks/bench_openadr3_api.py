"""The mock VTN's OpenADR 3.1 API under VEN polling: GET /events round trips per second and latency.

Run: `.venv/bin/python benchmarks/bench_openadr3_api.py` (about 30 s).

One `vtn-mock serve` subprocess (plain HTTP, loopback). 200 VEN clients each register a ven over 3.1 and get
one admin-API event; then 16 pollers send GET /events back to back (each as a different VEN) for 5 s, five
times: polls/s and latency p50/p99, median of the 5 runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

VENS = 200
POLLERS = 16
RUN_S = 5.0
RUNS = 5


def start(tmp: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    clients = [arg for i in range(VENS) for arg in ("--oauth-client", f"ven{i}:secret{i}")]
    args = [sys.executable, "-m", "vtn_mock.cli", "serve", "--port", "0", "--admin-port", "0",
            "--db", str(tmp / "vtn.sqlite"), "--log-level", "WARNING", *clients]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if select.select([process.stdout], [], [], 0.2)[0]:
            return process, json.loads(process.stdout.readline())
    process.kill()
    raise SystemExit("vtn-mock did not start")


async def setup(session: aiohttp.ClientSession, base: str, admin: str) -> list[str]:
    tokens = []
    for i in range(VENS):
        form = {"grant_type": "client_credentials", "client_id": f"ven{i}", "client_secret": f"secret{i}"}
        async with session.post(f"{base}/auth/token", data=form) as resp:
            token = (await resp.json())["access_token"]
        body = {"objectType": "VEN_VEN_REQUEST", "venName": f"fleet-{i}"}
        async with session.post(f"{base}/vens", json=body, headers={"Authorization": f"Bearer {token}"}):
            pass
        tokens.append(token)
    event = {"signal": "LOAD_DISPATCH", "start": "+5m", "intervals": [{"duration": "PT1H", "value": -100}]}
    async with session.post(f"{admin}/events", json=event) as resp:
        assert resp.status == 201
    return tokens


async def run(session: aiohttp.ClientSession, base: str, tokens: list[str]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    stop = time.monotonic() + RUN_S

    async def poller(offset: int) -> None:
        n = offset
        while time.monotonic() < stop:
            headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
            began = time.perf_counter()
            async with session.get(f"{base}/events", headers=headers) as resp:
                events = await resp.json()
            latencies.append(time.perf_counter() - began)
            assert len(events) == 1
            n += POLLERS

    await asyncio.gather(*(poller(i) for i in range(POLLERS)))
    return len(latencies) / RUN_S, latencies


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        process, ready = start(Path(tmp))
        try:
            async with aiohttp.ClientSession() as session:
                tokens = await setup(session, ready["openadr3_url"], ready["admin_url"])
                results = [await run(session, ready["openadr3_url"], tokens) for _ in range(RUNS)]
        finally:
            process.terminate()
            process.wait(timeout=10)
    rates = [rate for rate, _ in results]
    p50 = [statistics.median(lat) * 1000 for _, lat in results]
    p99 = [statistics.quantiles(lat, n=100)[98] * 1000 for _, lat in results]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{VENS} 3.1 VENs, {POLLERS} pollers back to back, {RUN_S:.0f} s runs, median of {RUNS}:")
    print(f"  GET /events: {statistics.median(rates):.0f} polls/s")
    print(f"  latency p50 {statistics.median(p50):.1f} ms, p99 {statistics.median(p99):.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
