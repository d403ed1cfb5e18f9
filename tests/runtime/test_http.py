"""GET /status and GET /metrics of a running VEN."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.waiting import until
from ven.http.server import bound_port

from .conftest import BASELINE_KW, RecordingVtn, write_config


async def test_status_and_metrics(vtn: RecordingVtn, tmp_path: Path, start_app) -> None:
    """/status shows registration and fleet state as JSON; /metrics is Prometheus text from the app's
    own registry."""
    running = await start_app(write_config(tmp_path, vtn.url, http='listen = "127.0.0.1:0"'))
    await running.registered()
    app = running.app
    await until(lambda: app.http is not None and app.sampler.latest is not None and app.client.link_up, 5.0)
    assert app.http is not None
    base = f"http://127.0.0.1:{bound_port(app.http)}"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/status") as response:
            status = await response.json()
        async with session.get(f"{base}/metrics") as response:
            metrics = await response.text()
    assert status["registration"]["ven_id"] == "ven-1"
    assert status["fleet"]["evs"] == 4
    assert abs(status["fleet"]["usage_kw"] - BASELINE_KW) < 1.0
    assert status["events"] == []
    assert status["dispatching"] is None
    assert "ven_usage_kw 44.0" in metrics
    assert "ven_vtn_link_up 1.0" in metrics
    assert "python_gc" not in metrics  # not the global registry
