"""1,000 simulated VENs polling one `vtn-mock serve` every 10 s: poll latency p50/p99 and server CPU.

Run: `.venv/bin/python benchmarks/bench_vtn_polling.py` (stops by itself in under 60 s).

Phases, against one server subprocess (plain HTTP, loopback, unsigned messages):
1. register 1,000 VENs with real oadrCreatePartyRegistration messages;
2. steady state: each VEN sends a real oadrPoll every 10 s (random phase) for 30 s; in the middle one event is
   created for all VENs, so each VEN's next poll returns an oadrDistributeEvent instead of an oadrResponse;
3. saturation: 32 pollers back to back for 6 s, to find the most polls per second one process serves.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from openleadr.messaging import create_message
from report import machine

VENS = 1000
POLL_INTERVAL_S = 10.0
STEADY_S = 30.0
SATURATION_S = 6.0
SATURATION_POLLERS = 32
HARD_LIMIT_S = 58.0
XML = {"Content-Type": "application/xml"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def start_server(directory: Path) -> tuple[subprocess.Popen[str], str, str]:
    args = [
        sys.executable,
        "-m",
        "vtn_mock.cli",
        "serve",
        "--port",
        "0",
        "--admin-port",
        "0",
        "--poll-interval",
        "10s",
        "--db",
        str(directory / "bench.sqlite"),
        "--log-level",
        "WARNING",
    ]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 15)
    if not ready:
        process.kill()
        raise SystemExit("vtn-mock did not start")
    info = json.loads(process.stdout.readline())
    return process, info["openadr_url"], info["admin_url"]


def quantiles_ms(latencies_s: list[float]) -> str:
    if not latencies_s:
        return "no samples"
    cuts = statistics.quantiles(latencies_s, n=100, method="inclusive")
    return (
        f"p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms, "
        f"max {max(latencies_s) * 1000:.1f} ms ({len(latencies_s)} polls)"
    )


async def register(session: aiohttp.ClientSession, url: str, index: int) -> str:
    message = create_message(
        "oadrCreatePartyRegistration",
        request_id=f"r{index}",
        ven_name=f"bench-{index:04d}",
        profile_name="2.0b",
        transport_name="simpleHttp",
        transport_address=None,
        report_only=False,
        xml_signature=False,
        http_pull_model=True,
    )
    async with session.post(f"{url}/EiRegisterParty", data=message, headers=XML) as resp:
        body = await resp.text()
    return body.split("<ei:venID>")[1].split("</ei:venID>")[0]


async def poll(session: aiohttp.ClientSession, url: str, body: bytes) -> tuple[float, bool, bool]:
    """(latency, ok, got an event)."""
    started = time.perf_counter()
    async with session.post(url, data=body, headers=XML) as resp:
        text = await resp.read()
    return time.perf_counter() - started, resp.status == 200, b"oadrDistributeEvent" in text


async def steady(
    session: aiohttp.ClientSession,
    url: str,
    polls: list[bytes],
    admin_url: str,
) -> tuple[list[float], list[float], int]:
    """Every VEN polls every POLL_INTERVAL_S; halfway, one event for all VENs."""
    plain: list[float] = []
    distributions: list[float] = []
    errors = 0
    rng = random.Random(42)
    t0 = time.perf_counter()

    async def ven(body: bytes) -> None:
        nonlocal errors
        next_at = t0 + rng.uniform(0, POLL_INTERVAL_S)
        while next_at < t0 + STEADY_S:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            latency, ok, event = await poll(session, url, body)
            errors += not ok
            (distributions if event else plain).append(latency)
            next_at += POLL_INTERVAL_S

    async def broadcast() -> None:
        await asyncio.sleep(STEADY_S / 2)
        event = {"signal": "LOAD_DISPATCH", "start": "+1h", "intervals": [{"duration": "1h", "value": -500}]}
        async with session.post(f"{admin_url}/events", json=event) as resp:
            assert resp.status == 201, await resp.text()

    await asyncio.gather(broadcast(), *(ven(body) for body in polls))
    return plain, distributions, errors


async def saturate(session: aiohttp.ClientSession, url: str, polls: list[bytes]) -> tuple[list[float], float]:
    latencies: list[float] = []
    stop_at = time.perf_counter() + SATURATION_S

    async def poller(index: int) -> None:
        while time.perf_counter() < stop_at:
            latency, _, _ = await poll(session, url, polls[index % len(polls)])
            latencies.append(latency)
            index += SATURATION_POLLERS

    started = time.perf_counter()
    await asyncio.gather(*(poller(i) for i in range(SATURATION_POLLERS)))
    return latencies, time.perf_counter() - started


async def run(server: subprocess.Popen[str], url: str, admin_url: str) -> None:
    connector = aiohttp.TCPConnector(limit=VENS)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        semaphore = asyncio.Semaphore(32)

        async def one(index: int) -> str:
            async with semaphore:
                return await register(session, url, index)

        ven_ids = await asyncio.gather(*(one(i) for i in range(VENS)))
        print(f"registered {len(ven_ids)} VENs in {time.perf_counter() - started:.1f} s")
        polls = [create_message("oadrPoll", ven_id=ven_id).encode() for ven_id in ven_ids]
        poll_url = f"{url}/OadrPoll"

        cpu0, wall0, own0 = cpu_seconds(server.pid), time.perf_counter(), time.process_time()
        plain, distributions, errors = await steady(session, poll_url, polls, admin_url)
        wall = time.perf_counter() - wall0
        server_cpu = (cpu_seconds(server.pid) - cpu0) / wall * 100
        own_cpu = (time.process_time() - own0) / wall * 100
        print(
            f"steady state: {VENS} VENs polling every {POLL_INTERVAL_S:.0f} s for {STEADY_S:.0f} s "
            f"({VENS / POLL_INTERVAL_S:.0f} polls/s), errors {errors}"
        )
        print(f"  oadrPoll -> oadrResponse:        {quantiles_ms(plain)}")
        print(f"  oadrPoll -> oadrDistributeEvent: {quantiles_ms(distributions)}")
        print(f"  all polls:                       {quantiles_ms(plain + distributions)}")
        print(f"  server CPU {server_cpu:.1f} % of one core; load generator CPU {own_cpu:.1f} %")

        cpu0 = cpu_seconds(server.pid)
        latencies, elapsed = await saturate(session, poll_url, polls)
        rate = len(latencies) / elapsed
        print(
            f"saturation: {SATURATION_POLLERS} pollers back to back for {elapsed:.1f} s: {rate:.0f} polls/s, "
            f"{quantiles_ms(latencies)}, server CPU {(cpu_seconds(server.pid) - cpu0) / elapsed * 100:.0f} %"
        )
        print(
            f"  => at this rate one process serves about {rate * POLL_INTERVAL_S:,.0f} VENs polling every "
            f"{POLL_INTERVAL_S:.0f} s; the limit is its single event-loop thread (one core), while the load "
            "generator and anything else on the machine share the other"
        )


def main() -> int:
    print(machine())
    print(f"vtn-mock polling benchmark on {os.cpu_count()} CPU cores (server and load generator share them)")
    with tempfile.TemporaryDirectory() as directory:
        server, url, admin_url = start_server(Path(directory))
        try:
            asyncio.run(asyncio.wait_for(run(server, url, admin_url), HARD_LIMIT_S))
        except TimeoutError:
            print(f"stopped at the {HARD_LIMIT_S:.0f} s limit")
            return 1
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
            if server.stdout is not None:
                server.stdout.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
