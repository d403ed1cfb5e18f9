"""Our own VEN client (ven.openadr.client.VenClient) against `vtn-mock serve`; in-process start."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.vtn_mock.conftest import start_vtn, stop_vtn
from tests.waiting import until
from ven.events import Answer
from ven.events.model import DrEvent
from ven.openadr.client import VenClient
from ven.openadr.reports import ReportSources
from ven.storage import Store, TelemetrySample
from ven.telemetry.series import Point, Quantity, ResourceStatus, StatusLog, StatusSnapshot, UsageHistory
from vtn_mock.config import AdminSection, VtnConfig, VtnSection
from vtn_mock.server import start_vtn as start_in_process

pytestmark = pytest.mark.slow
WAIT = 30.0


async def _sample_forever(store: Store, log: StatusLog) -> None:
    """Stand-in for the VEN's sampler: a fleet sample and a status snapshot every 0.2 s (wall)."""
    status = ResourceStatus(True, False, 300.0, 800.0, 150.0, 900.0)
    while True:
        now = datetime.now(UTC)
        store.telemetry.add([TelemetrySample(now, "fleet", 300.0, 800.0, 500.0)])
        log.add(StatusSnapshot(now, {("fleet", Quantity.STATUS): status, ("depot", Quantity.STATUS): status}))
        await asyncio.sleep(0.2)


def _forecast(now: datetime) -> list[Point]:
    step = timedelta(minutes=15)
    return [Point(now + k * step, "fleet", Quantity.AVAILABLE_REDUCTION, 650.0, step) for k in range(96)]


async def test_our_ven_registers_opts_in_and_reports(tmp_path: Path):
    """Our VEN gets an event with an itemBase, opts in; its TELEMETRY_USAGE, TELEMETRY_STATUS (resource
    status) and forecast reports are stored, and the event's performance comes from its usage."""
    (tmp_path / "vtn.toml").write_text('[vtn]\nreport_sampling = "1s"\n')
    vtn = start_vtn(tmp_path, "--config", str(tmp_path / "vtn.toml"))
    seen: list[DrEvent] = []

    async def on_event(event: DrEvent) -> Answer:
        seen.append(event)
        return Answer.opt_in()

    store = Store.open(f"sqlite:///{tmp_path / 'ven.db'}")
    log = StatusLog()
    sources = ReportSources(
        UsageHistory(store), log, forecast=_forecast, sites=("depot",), sampling=timedelta(seconds=1)
    )
    ven = VenClient(
        "district-north",
        vtn.openadr_url,
        on_event=on_event,
        reports=sources,
        report_tick=timedelta(seconds=0.2),
    )
    sampler = asyncio.create_task(_sample_forever(store, log))
    try:
        await ven.start()
        async with aiohttp.ClientSession() as session:
            body = {
                "ven": "district-north",
                "signal": "LOAD_DISPATCH",
                "start": "now",
                "intervals": [{"duration": "3s", "value": -500}],
            }
            async with session.post(f"{vtn.admin_url}/events", json=body) as resp:
                event_id = (await resp.json())["event_id"]

            async def measured_and_reported() -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
                async with session.get(f"{vtn.admin_url}/events/{event_id}") as resp:
                    opted = (await resp.json())["vens"][0]["opt"]
                async with session.get(f"{vtn.admin_url}/events/{event_id}/performance") as resp:
                    performance: dict[str, Any] = await resp.json()
                async with session.get(f"{vtn.admin_url}/vens/district-north/readings?limit=2000") as resp:
                    readings: list[dict[str, Any]] = await resp.json()
                names = {r["report_name"] for r in readings}
                measured = performance["intervals"][0]["measured_kw"]
                done = opted == "optIn" and measured is not None and len(names) == 3
                return (performance, readings) if done else None

            performance, readings = await until(measured_and_reported, 30, "measured and every report")
            names = {r["report_name"] for r in readings}
    finally:
        sampler.cancel()
        await ven.stop()
        stop_vtn(vtn)
        store.close()
    assert seen[0].event_id == event_id
    first = performance["intervals"][0]
    assert (first["requested_kw"], first["baseline_kw"], first["measured_kw"], first["delivered_kw"]) == (
        500.0,
        800.0,
        300.0,
        500.0,
    )
    assert names == {"TELEMETRY_USAGE", "TELEMETRY_STATUS", "x-FLEXIBILITY_FORECAST"}
    status = next(r for r in readings if r["r_id"] == "depot.status")
    assert status["value"]["online"] is True
    assert status["value"]["load_control_state"]["set_point"]["normal"] == 800.0
    forecast = [r for r in readings if r["r_id"] == "forecast.availableReduction_kW"]
    assert forecast
    assert {r["value"] for r in forecast} == {650.0}


async def test_in_process_start_and_stop(tmp_path: Path):
    """start_vtn runs in-process (e.g. for `ven demo`) without warnings and stops cleanly."""
    config = VtnConfig(
        vtn=VtnSection(port=0, database=str(tmp_path / "vtn.sqlite")), admin=AdminSection(port=0)
    )
    vtn = await start_in_process(config)
    try:
        async with aiohttp.ClientSession() as session, session.get(f"{vtn.admin_url}/vens") as resp:
            assert await resp.json() == []
        assert vtn.openadr_url.endswith("/OpenADR2/Simple/2.0b")
    finally:
        await vtn.stop()
