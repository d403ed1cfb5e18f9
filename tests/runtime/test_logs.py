"""Logs an operator can use: a line per control period of an active event, and structured JSON lines."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from ven.cli.logs import JsonFormatter

from .conftest import RecordingVtn, until, write_config

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
    assert len(lines) == app.supervisor.steps
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
