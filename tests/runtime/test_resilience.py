"""Restart and VTN outage: a real `ven run` subprocess killed mid-event, and a VTN that stops answering."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from ven.storage import Store

from .conftest import BASELINE_KW, RecordingVtn, until, write_config

OUTAGE_S = 30.0
WAIT = 10.0


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
    """Killed mid-event and restarted, the VEN resumes dispatch within a control period and does not send
    a second oadrCreatedEvent for the event it already answered."""
    config = write_config(tmp_path, vtn.url)
    db = tmp_path / "ven.db"
    ven = start_ven(config)
    try:
        await until(lambda: bool(vtn.known), WAIT)
        ven_id = next(iter(vtn.known))
        await asyncio.wait_for(vtn.event(ven_id, "e1", [-20.0] * 8, seconds=2), WAIT)
        await until(lambda: db.exists() and bool(dispatches(db, "e1")), WAIT, step=0.2)
        ven.kill()
        ven.wait(5)
        killed_at = datetime.now(UTC)
        ven = start_ven(config)
        await until(lambda: any(t > killed_at for t in dispatches(db, "e1")), WAIT, step=0.2)
        resumed = min(t for t in dispatches(db, "e1") if t > killed_at)
        assert (resumed - killed_at).total_seconds() < 5.0  # interpreter start + one control period
        await asyncio.sleep(2.0)  # the restarted VEN has fetched the events again by now
        assert len(vtn.created_for("e1")) == 1
    finally:
        ven.send_signal(signal.SIGTERM)
        assert ven.wait(10) == 0, (config.parent / "ven.log").read_text()[-2000:]


async def test_vtn_outage_keeps_executing_and_reports_the_gap(
    vtn: RecordingVtn, tmp_path: Path, start_app
) -> None:
    """A 30 s VTN outage mid-event: the event keeps running throughout, and the telemetry of the gap
    reaches the VTN once it is back, with the times it was measured."""
    running = await start_app(write_config(tmp_path, vtn.url))
    ven_id = await running.registered()
    await asyncio.wait_for(vtn.event(ven_id, "e1", [-20.0] * 20, seconds=2), WAIT)
    app = running.app
    await until(lambda: app.controller.executing is not None, WAIT)
    await asyncio.sleep(1.0)
    vtn.down, went_down = True, datetime.now(UTC)
    await until(lambda: not app.client.link_up, WAIT)
    for _ in range(3):  # checked through the outage, not only at its end
        await asyncio.sleep((OUTAGE_S - 2.0) / 3)
        reading = await app.gateway.read()
        assert abs(reading.total_power_kw - (BASELINE_KW - 20.0)) < 1.5  # still dispatching
    backlog = app.store.telemetry.count_unreported()
    assert backlog >= OUTAGE_S / 2  # sampled every second while nothing could be reported
    vtn.down, came_back = False, datetime.now(UTC)

    def gap_reported() -> bool:  # samples of the interval still being sampled are sent when it ends
        oldest = app.store.telemetry.unreported(limit=1)
        return not oldest or oldest[0].ts >= came_back

    await until(gap_reported, WAIT)
    during = [t for t, _ in vtn.readings["deltaUsage"] if went_down < t < came_back]
    assert len(during) >= OUTAGE_S / 2


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
