"""Our own VEN client (ven.openadr.client.VenClient) against `vtn-mock serve`; in-process start."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.vtn_mock.conftest import start_vtn, stop_vtn
from ven.events import Answer
from ven.openadr.client import VenClient
from ven.openadr.models import OadrEvent
from ven.openadr.reports import ReportSources
from vtn_mock.config import AdminSection, VtnConfig, VtnSection
from vtn_mock.server import start_vtn as start_in_process

pytestmark = pytest.mark.slow
WAIT = 30.0


async def test_our_ven_registers_opts_in_and_reports(tmp_path: Path):
    """Our VEN gets an event with an itemBase, opts in; its TELEMETRY_USAGE/STATUS reports are stored."""
    (tmp_path / "vtn.toml").write_text('[vtn]\nreport_sampling = "1s"\n')
    vtn = start_vtn(tmp_path, "--config", str(tmp_path / "vtn.toml"))
    seen: list[OadrEvent] = []

    async def on_event(event: OadrEvent) -> Answer:
        seen.append(event)
        return Answer.opt_in()

    sources = ReportSources(
        usage_kw=lambda: 300.0,
        baseline_kw=lambda: 800.0,
        delta_usage_kw=lambda: 500.0,
        online=lambda: 1.0,
        available_reduction_kw=lambda: 650.0,
        stored_energy_kwh=lambda: 1200.0,
        min_sampling=timedelta(seconds=1),
    )
    ven = VenClient("district-north", vtn.openadr_url, on_event=on_event, reports=sources)
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

            async def get(path: str) -> Any:
                async with session.get(f"{vtn.admin_url}{path}") as resp:
                    return await resp.json()

            async with asyncio.timeout(WAIT):  # a hang guard: each wait is on what the VTN recorded
                while (await get(f"/events/{event_id}"))["vens"][0]["opt"] != "optIn":
                    await asyncio.sleep(0.1)
                while (await get(f"/events/{event_id}"))["status"] != "completed" or not {
                    r["report_name"] for r in await get("/vens/district-north/readings?limit=500")
                } >= {"TELEMETRY_USAGE", "TELEMETRY_STATUS"}:
                    await asyncio.sleep(0.1)
            performance: dict[str, Any] = await get(f"/events/{event_id}/performance")
            readings = await get("/vens/district-north/readings?limit=500")
    finally:
        await ven.stop()
        stop_vtn(vtn)
    assert seen[0].event_id == event_id
    first = performance["intervals"][0]
    assert (first["requested_kw"], first["baseline_kw"], first["measured_kw"], first["delivered_kw"]) == (
        500.0,
        800.0,
        300.0,
        500.0,
    )
    assert {r["report_name"] for r in readings} == {"TELEMETRY_USAGE", "TELEMETRY_STATUS"}


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
