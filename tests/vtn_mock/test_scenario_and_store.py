"""Scenario files (a season of events, notified ahead) and the SQLite store's schema version and restarts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ven.clock import ManualClock, SystemClock
from ven.errors import InputError
from vtn_mock.config import load_config
from vtn_mock.core import Enrollment, VtnCore
from vtn_mock.events import EventSpec, Interval
from vtn_mock.scenario import load_scenario, run_scenario
from vtn_mock.store import Reading, ReportDescription, Store

NOW = datetime(2026, 6, 29, 9, 30, tzinfo=UTC)
SEASON = """
[scenario]
name = "summer"
timezone = "America/New_York"

[defaults]
signal = "LOAD_DISPATCH"
intervals = [{ duration = "1h", value = -500 }, { duration = "2h", value = -300 }]
notice = "24h"

[season]
days = ["2026-07-01", 7]
start_time = "16:00"

[[events]]
start = "+10m"
notice = "0s"
signal = "SIMPLE"
intervals = [{ duration = "15m", value = 2 }]
"""


def make_core(path: Path, clock: ManualClock | SystemClock) -> VtnCore:
    counter = itertools.count(1)
    return VtnCore(Store(path), clock, lambda prefix: f"{prefix}-{next(counter)}", Enrollment())


def test_season_expands_to_3h_events_notified_the_day_before(tmp_path):
    """Season days become 4–7 pm local events created 24 h ahead; relative events count from now."""
    path = tmp_path / "s.toml"
    path.write_text(SEASON)
    planned = load_scenario(path, NOW)
    by_id = {p.event_id: p for p in planned}
    assert sorted(by_id) == ["summer-001", "summer-002", "summer-003"]
    first = by_id["summer-001"].body.to_spec()
    assert first.start == datetime(2026, 7, 1, 20, 0, tzinfo=UTC)  # 16:00 EDT
    assert first.end - first.start == timedelta(hours=3)
    assert by_id["summer-001"].notify_at == datetime(2026, 6, 30, 20, 0, tzinfo=UTC)
    assert first.notification == timedelta(hours=24)
    assert by_id["summer-002"].body.to_spec().start == datetime(2026, 7, 6, 20, 0, tzinfo=UTC)
    single = by_id["summer-003"]
    assert (single.notify_at, single.body.to_spec().signal_name) == (NOW + timedelta(minutes=10), "SIMPLE")


def test_bad_scenario_is_refused_with_its_location(tmp_path):
    """A scenario entry with a bad field is refused naming the file and the entry."""
    path = tmp_path / "bad.toml"
    path.write_text(SEASON.replace("value = 2 }", "value = 9 }"))
    with pytest.raises(InputError, match=r"bad\.toml: events\[0\]\.intervals"):
        load_scenario(path, NOW)


async def test_due_events_are_created_and_not_twice(tmp_path):
    """run_scenario creates events whose notice time has come, once, with the scenario's ids."""
    core = make_core(tmp_path / "vtn.sqlite", SystemClock())
    core.register("fleet-a", None)
    path = tmp_path / "s.toml"
    path.write_text(
        '[[events]]\nstart = "+1h"\nnotice = "1h"\nsignal = "SIMPLE"\n'
        'intervals = [{ duration = "15m", value = 1 }]\n'
        '[[events]]\nstart = "+1h"\nnotice = "3599s"\nsignal = "SIMPLE"\n'
        'intervals = [{ duration = "15m", value = 3 }]\n'
    )
    planned = load_scenario(path, SystemClock().now())
    await run_scenario(core, planned)
    assert [(e.event_id, e.source, e.ven_ids) for e in core.events()] == [
        ("scenario-001", "scenario", ("ven-1",)),
        ("scenario-002", "scenario", ("ven-1",)),
    ]
    assert core.events()[0].spec.notification == timedelta(hours=1)
    await run_scenario(core, planned)
    assert len(core.events()) == 2


def test_store_keeps_vens_and_events_across_restarts(tmp_path):
    """A restarted VTN knows its VENs, events and opt answers, and re-sends current events when polled."""
    clock = ManualClock(NOW)
    core = make_core(tmp_path / "vtn.sqlite", clock)
    assert core.store.schema_version == 3  # 3: opt schedules
    ven = core.register("fleet-a", None)
    spec = EventSpec(
        "LOAD_DISPATCH", "delta", NOW + timedelta(hours=1), (Interval(timedelta(hours=1), -100),)
    )
    event = core.create_event(spec, [ven.ven_id])
    assert core.on_poll(ven.ven_id) is not None
    assert core.on_poll(ven.ven_id) is None  # nothing new
    assert core.record_opt(ven.ven_id, event.event_id, 0, "optIn", "oadrCreatedEvent")
    core.store.close()
    again = make_core(tmp_path / "vtn.sqlite", clock)
    assert [v.ven_name for v in again.vens()] == ["fleet-a"]
    assert again.event(event.event_id).spec == spec
    assert again.store.latest_opts(event.event_id)[ven.ven_id].opt_type == "optIn"
    sent = again.on_poll(ven.ven_id)
    assert sent is not None
    assert sent[0]["event_descriptor"]["event_id"] == event.event_id
    assert again.vens()[0].poll_count == 3
    again.store.close()


def test_bundled_examples_are_valid():
    """examples/vtn/*.toml load: the open and enrolled configs and the season scenario."""
    examples = Path(__file__).resolve().parents[2] / "examples" / "vtn"
    assert load_config(examples / "vtn.toml").enrollment.mode == "open"
    enrolled = load_config(examples / "vtn-enrolled.toml")
    assert enrolled.tls is not None
    assert enrolled.tls.ca_file == str(examples / "ca.crt")
    planned = load_scenario(examples / "scenario.toml", NOW)
    season = [p for p in planned if p.body.signal == "LOAD_DISPATCH"]
    assert len(season) == 5
    assert all(p.body.to_spec().end - p.body.to_spec().start == timedelta(hours=3) for p in season)
    assert [p.body.type for p in planned if p.body.signal == "SIMPLE"] == [None]


def test_readings_past_retention_are_pruned(tmp_path):
    """prune() drops readings measured before the cutoff and keeps the rest; retention keys parse."""
    store = Store(tmp_path / "vtn.sqlite")
    usage = ReportDescription("TELEMETRY_USAGE", "fleet.usage", "TELEMETRY_USAGE", "usage", "fleet", "W", "k")
    readings = [Reading("ven-1", usage, NOW - timedelta(days=d), "42.0", 42.0) for d in (40, 31, 29, 1)]
    store.add_readings(readings, NOW)
    assert store.prune(NOW - timedelta(days=30), NOW - timedelta(days=400)) == 2
    kept = store.power_readings("ven-1", "usage", NOW - timedelta(days=100), NOW)
    assert [round((NOW - at).total_seconds() / 86400) for _, at, _ in kept] == [29, 1]
    store.close()
    config = tmp_path / "vtn.toml"
    config.write_text('[retention]\nreadings = "7d"\nprune_every = "10m"\n')
    loaded = load_config(config)
    assert (loaded.retention.readings, loaded.retention.prune_every) == (
        timedelta(days=7),
        timedelta(minutes=10),
    )
