"""Scenarios on any date: relative days put every event ahead, every scheduled event is listed (pending)
from start-up, a scenario with nothing left to send says so, and unknown status filters are refused."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from tests.vtn_mock.conftest import start_vtn, stop_vtn
from tests.waiting import until
from ven.clock import NOW_ENV, SystemClock
from ven.model.routine import parse_days
from vtn_mock import cli
from vtn_mock.core import Enrollment, VtnCore
from vtn_mock.scenario import load_scenario, run_scenario, upcoming_days, warn_if_idle
from vtn_mock.store import Store

ROOT = Path(__file__).resolve().parents[2]
MASSACHUSETTS = ROOT / "examples" / "massachusetts" / "scenario.toml"
FAR_DAY = "2031-02-17"  # a Monday in winter, far from any date the example was written on


def test_upcoming_days_skip_days_whose_start_has_passed():
    """The next N days among the chosen weekdays whose local start time is still ahead, across DST."""
    zone = ZoneInfo("America/New_York")
    tuesday_4pm = datetime(2031, 3, 4, 21, 0, tzinfo=UTC)  # 16:00 EST, just after a Tuesday 15:00 start
    starts = upcoming_days(zone, tuesday_4pm, time(15, 0), parse_days("tue,thu"), 3)
    local = [s.astimezone(zone) for s in starts]
    assert [(d.month, d.day, d.hour) for d in local] == [(3, 6, 15), (3, 11, 15), (3, 13, 15)]  # DST on 3/9
    assert [s.astimezone(UTC).hour for s in starts] == [20, 19, 19]  # UTC: EST, then EDT


def test_a_scenario_of_past_dates_warns_naming_the_file(tmp_path):
    """warn_if_idle: fixed dates all over -> one line naming the file; relative ones never are."""
    path = tmp_path / "old.toml"
    path.write_text(
        '[defaults]\nsignal = "SIMPLE"\nintervals = [{ duration = "1h", value = 1 }]\n'
        '[season]\ndays = ["2026-07-01", "2026-07-08"]\nstart_time = "16:00"\n'
    )
    now = datetime(2031, 2, 17, 12, tzinfo=UTC)
    line = warn_if_idle(path, load_scenario(path, now), now)
    assert line is not None
    assert line.startswith(f"{path}: every event of the scenario is over")
    assert warn_if_idle(MASSACHUSETTS, load_scenario(MASSACHUSETTS, now), now) is None


@pytest.mark.slow
def test_serve_lists_every_scenario_event_pending_and_ahead_on_a_far_date(tmp_path, capsys):
    """`vtn-mock serve --scenario` on an injected far date: the ready line counts 8 events, GET /api/events
    lists all 8 from start-up as pending, each starting after "now" and notified a day ahead; filters
    accept `pending` and refuse anything else (API 422, CLI exit 2)."""
    vtn = start_vtn(tmp_path, "--scenario", str(MASSACHUSETTS), env={NOW_ENV: f"{FAR_DAY}T06:00:00-05:00"})
    try:
        assert vtn.ready["scenario_events"] == 8
        now = datetime.fromisoformat(f"{FAR_DAY}T06:00:00-05:00")

        async def get(query: str) -> tuple[int, object]:
            async with aiohttp.ClientSession() as session, session.get(vtn.admin_url + query) as resp:
                return resp.status, await resp.json()

        status, events = asyncio.run(get("/events"))
        assert status == 200
        assert isinstance(events, list)
        assert len(events) == 8
        for event in events:
            start = datetime.fromisoformat(event["start"])
            assert event["status"] == "pending"
            assert start > now
            assert start - datetime.fromisoformat(event["notify_at"]) == timedelta(hours=24)
            assert event["vens"] == []
        assert len(asyncio.run(get("/events?status=pending"))[1]) == 8  # type: ignore[arg-type]
        status, body = asyncio.run(get("/events?status=bogus"))
        assert status == 422
        assert body["detail"][0]["loc"] == ["query", "status"]  # type: ignore[index]
        assert cli.main(["event", "list", "--admin-url", vtn.admin_url, "--status", "pending", "--json"]) == 0
        assert len(json.loads(capsys.readouterr().out)) == 8
    finally:
        stop_vtn(vtn)


@pytest.mark.slow
def test_serve_warns_once_when_every_scenario_event_is_over(tmp_path):
    """A scenario whose fixed dates are all past: served, 0 events, one WARNING line saying why."""
    path = tmp_path / "old.toml"
    path.write_text(
        '[defaults]\nsignal = "SIMPLE"\nintervals = [{ duration = "1h", value = 1 }]\n'
        '[season]\ndays = ["2026-07-01", "2026-07-08"]\nstart_time = "16:00"\n'
    )
    vtn = start_vtn(tmp_path, "--scenario", str(path), env={NOW_ENV: FAR_DAY})
    try:
        assert vtn.ready["scenario_events"] == 0
    finally:
        stop_vtn(vtn)
    warnings = [line for line in vtn.log.read_text().splitlines() if " WARNING " in line]
    assert len(warnings) == 1
    assert f"{path}: every event of the scenario is over" in warnings[0]


async def test_a_due_event_for_every_ven_waits_for_the_first_registration(tmp_path):
    """An event for every VEN that is due before any VEN registered stays pending, then goes to the first
    VEN that registers (serve first, `ven run` a minute later still gets it)."""
    counter = itertools.count(1)
    core = VtnCore(
        Store(tmp_path / "vtn.sqlite"), SystemClock(), lambda p: f"{p}-{next(counter)}", Enrollment()
    )
    path = tmp_path / "s.toml"
    path.write_text(
        '[[events]]\nstart = "+1h"\nnotice = "2h"\nsignal = "SIMPLE"\n'
        'intervals = [{ duration = "15m", value = 1 }]\n'
    )
    task = asyncio.create_task(run_scenario(core, load_scenario(path, SystemClock().now())))
    try:
        await until(core.events, 10, "the scenario's event listed")
        assert [(e.event_id, e.status(core.clock.now())) for e in core.events()] == [
            ("scenario-001", "pending")
        ]
        ven = core.register("late-ven", None)
        await until(lambda: core.sent("scenario-001"), 10, "the scenario's event sent")
        assert core.event("scenario-001").ven_ids == (ven.ven_id,)
        assert core.event("scenario-001").status(core.clock.now()) == "far"
    finally:
        task.cancel()
        core.store.close()
