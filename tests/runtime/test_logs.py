"""Logs an operator can use: a line per control period of an active event, and structured JSON lines."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from pathlib import Path

from tests.waiting import until
from ven.cli.logs import JsonFormatter, configure

from .conftest import RecordingVtn, write_config

WAIT = 10.0


async def test_one_info_line_per_control_period_of_an_active_event(
    vtn: RecordingVtn, tmp_path: Path, start_app, caplog
) -> None:
    """Every dispatch step of an event logs one INFO line with its interval, the requested, planned and
    measured kW and the EVs in play, tagged with event_id and interval for structured logs."""
    caplog.set_level(logging.INFO, logger="ven.runtime.supervisor")
    running = await start_app(write_config(tmp_path, vtn.url))
    ven_id = await running.registered()
    assert await asyncio.wait_for(vtn.event(ven_id, "e1", [-20.0, -10.0], seconds=3), WAIT) == "optIn"
    app = running.app
    await until(lambda: app.controller.last_plan is not None, WAIT)
    await until(lambda: app.controller.executing is None, WAIT)
    lines = [r for r in caplog.records if getattr(r, "event_id", None) == "e1"]
    # One line per dispatch step; only a step that lands after the last interval ended (before the event is
    # closed) has nothing to plan and logs nothing.
    assert app.supervisor.steps - 1 <= len(lines) <= app.supervisor.steps
    assert len(lines) >= 2
    assert {r.interval for r in lines} == {0, 1}  # type: ignore[attr-defined]
    for record in lines:
        assert record.levelno == logging.INFO
        text = record.getMessage()
        asked = "20.0" if record.interval == 0 else "10.0"  # type: ignore[attr-defined]
        assert f"event e1 interval {record.interval + 1}/2: requested {asked} kW" in text  # type: ignore[attr-defined]
        assert "kW reduction, measured " in text
        assert text.endswith("4 EVs in play")


def test_json_lines_carry_the_context_fields() -> None:
    """--log-format json: one object a line with time, level, logger, message, the VEN's name, and the
    event's id and interval when the record is about an event."""
    formatter = JsonFormatter(ven="district-north")
    record = logging.LogRecord("ven.runtime.supervisor", logging.INFO, __file__, 1, "step %d", (3,), None)
    record.event_id = "e1"
    record.interval = 2
    line = json.loads(formatter.format(record))
    assert line["message"] == "step 3"
    assert (line["level"], line["logger"], line["ven"]) == (
        "INFO",
        "ven.runtime.supervisor",
        "district-north",
    )
    assert (line["event_id"], line["interval"]) == ("e1", 2)
    assert line["time"].endswith("+00:00")
    plain = json.loads(formatter.format(logging.LogRecord("x", logging.WARNING, __file__, 1, "m", (), None)))
    assert "event_id" not in plain


async def test_a_fleet_that_can_do_nothing_is_said_once_at_start(
    vtn: RecordingVtn, tmp_path: Path, start_app, caplog
) -> None:
    """`ven run` on a fleet whose every departure is past (the July-2026 files run in December): one WARNING
    naming the fleet file and the cause, and the VEN still registers."""
    caplog.set_level(logging.INFO)
    config = write_config(tmp_path, vtn.url)
    (tmp_path / "fleet.csv").write_text(
        "ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,departure\n"
        "ev1,depot,60,0.5,11,10,2026-07-15T06:15:00-04:00\n"
        "ev2,depot,60,0.5,11,10,2026-07-15T06:15:00-04:00\n"
    )
    running = await start_app(config)
    await running.registered()
    # The stock VTN's own log is not the VEN's (it skips reports it does not know, x-FLEXIBILITY_FORECAST).
    ours = [r for r in caplog.records if not r.name.startswith("openleadr")]
    warnings = [r.getMessage() for r in ours if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        f"fleet {tmp_path / 'fleet.csv'}: every plugged-in EV's departure is before"
    )


def test_command_logs_follow_stderr_as_it_is_when_they_are_written(monkeypatch) -> None:
    """A command's log handler writes to the current sys.stderr: one that was replaced and closed since the
    handler was made (a command run in-process before) is never written to."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    first, second = io.StringIO(), io.StringIO()
    try:
        monkeypatch.setattr(sys, "stderr", first)
        configure("info", "text")
        first.close()
        monkeypatch.setattr(sys, "stderr", second)
        logging.getLogger("ven.test").info("after the swap")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert second.getvalue().count("after the swap") == 1
    assert "Logging error" not in second.getvalue()
