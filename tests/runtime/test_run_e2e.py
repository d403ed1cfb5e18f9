"""`ven run` in process against a real openleadr VTN: opt in, dispatch, reports, cancel, modify."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from tests.waiting import until
from ven.cli.main import main

from .conftest import BASELINE_KW, RecordingVtn, settles, write_config

WAIT = 8.0


async def test_event_dispatch_drops_measured_power_and_reports(
    vtn: RecordingVtn, tmp_path: Path, start_app, capsys
) -> None:
    """Opted in to a −20 kW delta, the simulated fleet draws 20 kW less than its baseline, and the VTN
    receives usage, baseline and deltaUsage readings; `ven event` shows requested vs delivered."""
    running = await start_app(write_config(tmp_path, vtn.url))
    ven_id = await running.registered()
    opted = vtn.event(ven_id, "e1", [-20.0, -20.0], seconds=3)
    assert await asyncio.wait_for(opted, WAIT) == "optIn"
    app = running.app
    await settles(app.gateway, BASELINE_KW - 20.0, 1.5, WAIT)
    await until(lambda: any(v > 15 for _, v in vtn.readings.get("deltaUsage", [])), WAIT)
    usage = [v for _, v in vtn.readings["usage"]]
    assert min(usage) < BASELINE_KW - 15
    assert max(v for _, v in vtn.readings["baseline"]) > 40
    rows = app.store.performance.for_event("e1")
    assert rows
    assert abs(rows[0].requested_kw - 20.0) < 1e-6
    await until(lambda: app.controller.executing is None, WAIT)  # event over: fleet released
    await settles(app.gateway, BASELINE_KW, 1.0, WAIT)
    assert app.store.events.is_answered("e1", 0)
    config = tmp_path / "ven.toml"
    assert main(["events", "--config", str(config)]) == 0
    assert main(["event", "e1", "--config", str(config), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert shown["opt"] == "optIn"
    assert len(shown["intervals"]) == 2
    assert abs(shown["intervals"][0]["delivered_kw"] - 20.0) < 4.0


async def test_cancel_releases_fleet(vtn: RecordingVtn, tmp_path: Path, start_app) -> None:
    """A cancelled event stops dispatch: the fleet returns to its baseline."""
    running = await start_app(write_config(tmp_path, vtn.url))
    ven_id = await running.registered()
    await asyncio.wait_for(vtn.event(ven_id, "e1", [-20.0] * 10, seconds=2), WAIT)
    app = running.app
    await until(lambda: app.controller.executing is not None, WAIT)
    vtn.server.cancel_event(ven_id, "e1")
    await until(lambda: app.controller.executing is None, WAIT)
    await settles(app.gateway, BASELINE_KW, 1.0, WAIT)


async def test_modification_replans(vtn: RecordingVtn, tmp_path: Path, start_app) -> None:
    """A modified event (new modificationNumber, deeper reduction) is re-planned and answered again."""
    running = await start_app(write_config(tmp_path, vtn.url))
    ven_id = await running.registered()
    await asyncio.wait_for(vtn.event(ven_id, "e1", [-10.0] * 10, seconds=2), WAIT)
    app = running.app
    await until(lambda: app.controller.executing is not None, WAIT)
    event = vtn.server.events[ven_id][0]
    event.event_descriptor.modification_number += 1
    for interval in event.event_signals[0].intervals:
        interval["signal_payload"] = -30.0
    vtn.server.events_updated[ven_id] = True
    await until(lambda: app.controller.executing == ("e1", 1), WAIT)
    await settles(app.gateway, BASELINE_KW - 30.0, 1.5, WAIT)
    await until(lambda: len(vtn.created_for("e1")) == 2, WAIT)  # the modification is answered too
    assert [(r["modification_number"], r["opt_type"]) for r in vtn.created_for("e1")] == [
        (0, "optIn"),
        (1, "optIn"),
    ]


async def test_implied_cancel(vtn: RecordingVtn, tmp_path: Path, start_app) -> None:
    """An event the VTN no longer lists is cancelled by the VEN (implied cancellation)."""
    running = await start_app(write_config(tmp_path, vtn.url))
    ven_id = await running.registered()
    await asyncio.wait_for(vtn.event(ven_id, "e1", [-20.0] * 10, seconds=2), WAIT)
    app = running.app
    await until(lambda: app.controller.executing is not None, WAIT)
    vtn.server.events[ven_id].clear()
    await asyncio.wait_for(
        vtn.event(ven_id, "e2", [-5.0], seconds=1, start=datetime(2099, 1, 1, tzinfo=UTC)), WAIT
    )
    await until(lambda: app.controller.executing is None, WAIT)
