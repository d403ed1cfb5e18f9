"""The VEN process stopped dead (SIGSTOP) mid-event: OCPP stations in another process return to baseline
by themselves when their setpoints end, as they meter and report it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.openadr.conftest import free_port
from tests.runtime.conftest import RecordingVtn, write_config
from tests.waiting import until

pytestmark = pytest.mark.slow

TTL_S = 3.0
V2G = ("ev1", "ev2", "ev3")  # OCPP 2.1 stations; ev4 cannot discharge: an OCPP 2.0.1 station
FULL_RATE_KW = 11.0  # every EV's max charge rate; SOC 0.5 < target 1.0: baseline charges at full rate
WAIT = 30.0  # hang guard only


@pytest.fixture
async def vtn() -> AsyncIterator[RecordingVtn]:
    server = RecordingVtn(free_port())
    await server.start()
    yield server
    with contextlib.suppress(Exception):
        await server.stop()


class Swarm:
    """The station simulator's subprocess and every record it printed, read as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.records: list[dict[str, Any]] = []
        self.ready = False
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:  # drained to the end: the pipe never fills up
            item = json.loads(line)
            if "ready" in item:
                self.ready = True
            else:
                self.records.append(item)

    def since(self, ts: float, charger_id: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["charger_id"] == charger_id and r["ts"] >= ts]

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), WAIT)
        await asyncio.wait_for(self._reader, WAIT)
        return code


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


def all_stations(predicate: Callable[[dict[str, Any]], bool], swarm: Swarm, ts: float) -> bool:
    return all(any(predicate(r) for r in swarm.since(ts, f"ev{i}")) for i in range(1, 5))


async def test_stations_return_to_baseline_within_the_ttl_while_the_ven_is_stopped(
    vtn: RecordingVtn, tmp_path: Path
) -> None:
    """Mid-event, with 2.1 stations discharging and a 2.0.1 one curtailed, the VEN is frozen: each station
    keeps its setpoint until the end the VEN gave it (at most setpoint_ttl after the last one it sent) and
    then charges at full rate, its baseline, with no word from the VEN."""
    port = free_port()
    chargers = f'backend = "ocpp"\nocpp_listen = "127.0.0.1:{port}"\nsetpoint_ttl = "{TTL_S:g}s"'
    config = write_config(
        tmp_path, vtn.url, chargers=chargers, dispatch='policy = "fair"\ncontrol_period = "1s"'
    )
    with (tmp_path / "ven.log").open("ab") as log:
        ven = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ven.cli.main", "run", "--config", str(config), stderr=log
        )
    swarm: Swarm | None = None
    stopped = False
    try:
        await until(lambda: listening(port) and bool(vtn.known), WAIT)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ven.chargers.cpsim", "--fleet", str(tmp_path / "fleet.csv"),
            "--csms", f"ws://127.0.0.1:{port}", "--meter-interval", "0.5",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        swarm = Swarm(process)
        await until(lambda: swarm.ready, WAIT)
        ven_id = next(iter(vtn.known))
        opted = vtn.event(ven_id, "e1", [-60.0] * 60, seconds=2)  # export: 44 kW baseline, 60 kW asked
        assert await asyncio.wait_for(opted, WAIT) == "optIn"
        began = time.time()
        await until(
            lambda: all_stations(
                lambda r: r["managed"] and r["power_kw"] < (0.0 if r["charger_id"] in V2G else FULL_RATE_KW),
                swarm,
                began,
            ),
            WAIT,
        )

        os.kill(ven.pid, signal.SIGSTOP)
        stopped, stopped_ts = True, time.time()
        await until(lambda: all_stations(lambda r: not r["managed"], swarm, stopped_ts), WAIT)

        for i in range(1, 5):
            records = swarm.since(began, f"ev{i}")
            held = [r for r in records if r["managed"]]
            assert held
            end_ts = held[-1]["until_ts"]
            assert end_ts <= stopped_ts + TTL_S  # the last setpoint the VEN sent ends within the TTL
            fallback = next(r for r in records if not r["managed"] and r["ts"] >= stopped_ts)
            assert fallback["ts"] >= end_ts  # held to its end, not dropped early
            assert fallback["power_kw"] == pytest.approx(FULL_RATE_KW)  # baseline: full rate
    finally:
        if stopped:
            os.kill(ven.pid, signal.SIGCONT)
        if ven.returncode is None:
            ven.send_signal(signal.SIGTERM)
        ven_code = await asyncio.wait_for(ven.wait(), WAIT)
        if swarm is not None:
            assert await swarm.stop() == 0
    assert ven_code == 0, (tmp_path / "ven.log").read_text()[-2000:]
