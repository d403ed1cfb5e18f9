"""Restart and VTN outage: a real `ven run` subprocess killed mid-event, and a VTN that stops answering."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.waiting import until
from ven.storage import Store

from .conftest import BASELINE_KW, RecordingVtn, settles, write_config

OUTAGE_SAMPLES = 30
SAMPLING_S = 1.0  # write_config's [reports] sampling
WAIT = 10.0
STARTUP_WAIT = 60.0  # a hang guard: a fresh interpreter imports for seconds on a loaded machine


def start_ven(config: Path) -> subprocess.Popen[bytes]:
    with (config.parent / "ven.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "ven.cli.main", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def dispatches(db: Path, event_id: str) -> list[datetime]:
    with Store.open(db) as store:
        return [d.decided_at for d in store.dispatch.for_event(event_id)]


async def test_restart_resumes_without_answering_twice(vtn: RecordingVtn, tmp_path: Path) -> None:
    """Killed mid-event and restarted while the VTN is down, the VEN resumes dispatch from its database
    alone; once the VTN is back and distributes its events again (with a new one), the VEN answers the new
    event and never sends a second oadrCreatedEvent for the one it answered before the kill."""
    config = write_config(tmp_path, vtn.url)
    db = tmp_path / "ven.db"
    ven = start_ven(config)
    try:
        await until(lambda: bool(vtn.known), STARTUP_WAIT)
        ven_id = next(iter(vtn.known))
        await asyncio.wait_for(vtn.event(ven_id, "e1", [-20.0] * 40, seconds=2), WAIT)
        await until(lambda: db.exists() and bool(dispatches(db, "e1")), STARTUP_WAIT)
        ven.kill()
        ven.wait(5)
        vtn.down, killed_at = True, datetime.now(UTC)
        ven = start_ven(config)
        await until(lambda: any(t > killed_at for t in dispatches(db, "e1")), STARTUP_WAIT)
        vtn.down = False
        second = vtn.event(ven_id, "e2", [-5.0], start=datetime.now(UTC) + timedelta(minutes=5))
        assert "e1" in [e.event_descriptor.event_id for e in vtn.server.events[ven_id]]  # sent again too
        assert await asyncio.wait_for(second, 3 * WAIT) == "optIn"
        assert len(vtn.created_for("e1")) == 1
        assert len(vtn.created_for("e2")) == 1
    finally:
        ven.send_signal(signal.SIGTERM)
        assert ven.wait(STARTUP_WAIT) == 0, (config.parent / "ven.log").read_text()[-2000:]


async def test_vtn_outage_keeps_executing_and_reports_the_gap(
    vtn: RecordingVtn, tmp_path: Path, start_app
) -> None:
    """A VTN outage of 30 sampling instants mid-event: the event keeps running throughout, and the
    telemetry of the gap reaches the VTN once it is back, with the times it was measured."""
    running = await start_app(write_config(tmp_path, vtn.url))
    ven_id = await running.registered()
    await asyncio.wait_for(vtn.event(ven_id, "e1", [-20.0] * 60, seconds=2), WAIT)
    app = running.app
    await settles(app.gateway, BASELINE_KW - 20.0, 1.5, WAIT)  # dispatching
    vtn.down, went_down = True, datetime.now(UTC)
    await until(lambda: not app.client.link_up, WAIT)
    measured = app.telemetry.measured
    for third in (1, 2, 3):  # checked through the outage, not only at its end
        await until(lambda t=third: app.telemetry.measured >= measured + t * OUTAGE_SAMPLES // 3, 3 * WAIT)
        reading = await app.gateway.read()
        assert abs(reading.total_power_kw - (BASELINE_KW - 20.0)) < 1.5  # still dispatching
    backlog = app.store.telemetry.count_unreported()
    assert backlog >= OUTAGE_SAMPLES  # every instant sampled and kept while nothing could be reported
    vtn.down, came_back = False, datetime.now(UTC)

    def gap_reported() -> bool:  # samples of the interval still being sampled are sent when it ends
        oldest = app.store.telemetry.unreported(limit=1)
        return not oldest or oldest[0].ts >= came_back

    await until(gap_reported, 3 * WAIT)
    during = [s.ts for s in app.store.telemetry.between(went_down, came_back, "fleet")]
    assert len(during) >= OUTAGE_SAMPLES
    reported = {t for t, _ in vtn.readings["deltaUsage"]}
    # each sample is reported in its granularity interval (1 s, aligned to the second), stamped at its start
    assert {t.replace(microsecond=0) for t in during} <= reported


async def test_a_hung_vtn_costs_no_sample_and_no_control_step(
    vtn: RecordingVtn, tmp_path: Path, start_app
) -> None:
    """A VTN that accepts every request and never answers: while a report hangs on it, every sampling
    instant is still measured and stored (none skipped) and dispatch keeps stepping; once the VTN answers
    again, every sample of the hang reaches it in the interval it was measured in."""
    running = await start_app(write_config(tmp_path, vtn.url))
    ven_id = await running.registered()
    await asyncio.wait_for(vtn.event(ven_id, "e1", [-20.0] * 40, seconds=2), WAIT)
    app = running.app
    await until(lambda: app.controller.executing is not None, WAIT)
    await until(lambda: bool(vtn.readings.get("usage")), WAIT)  # reports are flowing
    vtn.hang()
    hung_from = app.clock.now()
    measured, steps = app.telemetry.measured, app.supervisor.steps
    await until(lambda: "EiReport" in vtn.hung_requests, WAIT)  # an upload is stuck on the hung VTN
    await until(
        lambda: app.telemetry.measured >= measured + 6 and app.supervisor.steps >= steps + 6, 3 * WAIT
    )
    vtn.resume()
    hung_until = app.clock.now()
    window = [s.ts for s in app.store.telemetry.between(hung_from, hung_until, "fleet")]
    assert len(window) >= 6
    assert app.telemetry.missed == 0
    instants_apart = [round((b - a).total_seconds() / SAMPLING_S) for a, b in itertools.pairwise(window)]
    assert instants_apart == [1] * (len(window) - 1)  # consecutive instants: none skipped

    def hang_reported() -> bool:  # the interval still being sampled is sent when it ends
        oldest = app.store.telemetry.unreported(limit=1)
        return not oldest or oldest[0].ts >= hung_until

    await until(hang_reported, 3 * WAIT)
    reported = {t for t, _ in vtn.readings["usage"]}
    # each sample is reported in its granularity interval (1 s, aligned to the second), stamped at its start
    assert {t.replace(microsecond=0) for t in window} <= reported


def test_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    """A config error (syntax, wrong value, unknown policy, missing file) exits 2 with one line naming it."""
    good = write_config(tmp_path, "http://127.0.0.1:1/OpenADR2/Simple/2.0b").read_text()
    cases = {
        "syntax.toml": (good + "[oops\n", "line"),
        "value.toml": (good.replace('control_period = "1s"', 'control_period = "soon"'), "control_period"),
        "policy.toml": (good.replace('policy = "optimal"', 'policy = "nope"'), "nope"),
        "fleet.toml": (good.replace('file = "fleet.csv"', 'file = "missing.csv"'), "missing.csv"),
    }
    for name, (text, needle) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        result = subprocess.run(
            [sys.executable, "-m", "ven.cli.main", "run", "--config", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        assert result.returncode == 2, (name, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (name, result.stderr)
        assert needle in lines[0], (name, result.stderr)
    missing = subprocess.run(
        [sys.executable, "-m", "ven.cli.main", "run", "--config", "/nonexistent.toml"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert missing.returncode == 2
    assert "/nonexistent.toml" in missing.stderr
