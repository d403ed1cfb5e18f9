"""EiOpt end to end: the VEN (VenApp in-process) against a stock openleadr VTN whose own OptService
records what arrives. Configured windows go out as vavailability within one poll of starting; owner
overrides reach dispatch, TELEMETRY_STATUS and the VTN; market contexts the VEN is not in are refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import numpy as np

from tests.waiting import until
from ven.availability import RecurringWindow
from ven.http.server import bound_port
from ven.runtime.overrides import record_override
from ven.storage import Store

from .conftest import RecordingVtn, write_config

WAIT = 15.0
TWO_SITES = """ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,min_soc,target_soc
a1,depot-a,60,0.5,11,10,0.2,1.0
a2,depot-a,60,0.5,11,10,0.2,1.0
b1,depot-b,60,0.5,11,10,0.2,1.0
b2,depot-b,60,0.5,11,10,0.2,1.0
"""


def opts(vtn: RecordingVtn, message: str = "oadrCreateOpt") -> list[dict[str, Any]]:
    return [payload for kind, payload in vtn.opts if kind == message]


def two_sites(folder: Path, vtn_url: str, **sections: str) -> Path:
    config = write_config(folder, vtn_url, **sections)
    (folder / "fleet.csv").write_text(TWO_SITES)
    return config


async def test_route_window_sent_as_vavailability_within_one_poll(
    vtn: RecordingVtn, tmp_path: Path, start_app: Any
) -> None:
    """[[opt.unavailable]] weekday-morning routes: an oadrCreateOpt (optOut, x-schedule) with one
    vavailability component per occurrence over the next 48 h reaches the VTN before its second poll."""
    zone = "America/New_York"
    window = '[[opt.unavailable]]\ndays = "daily"\nstart = "06:00"\nend = "09:00"'
    config = write_config(
        tmp_path, vtn.url, ven=f'name = "test-ven"\nvtn_url = "{vtn.url}"\ntimezone = "{zone}"'
    )
    config.write_text(config.read_text() + window + "\n")
    started = datetime.now(UTC)
    running = await start_app(config)
    await running.registered()
    await until(lambda: bool(opts(vtn)), WAIT)
    assert vtn.requests.count("OadrPoll") <= 1  # before the VEN's second poll
    [opt] = opts(vtn)
    assert (opt["opt_type"], opt["opt_reason"]) == ("optOut", "x-schedule")
    components = [c["properties"] for c in opt["vavailability"]["components"]["available"]]
    expected = RecurringWindow(time(6, 0), time(9, 0)).occurrences(
        ZoneInfo(zone), started, started + timedelta(hours=48)
    )
    assert [(c["dtstart"], c["duration"]) for c in components] == [(w.start, w.duration) for w in expected]
    assert len(components) >= 2  # at least the next 24 h, one component per occurrence
    assert running.app.store.opts.live()[0].opt_id == opt["opt_id"]


async def test_owner_override_changes_dispatch_status_and_reaches_the_vtn(
    vtn: RecordingVtn, tmp_path: Path, start_app: Any
) -> None:
    """An override written by another process (as `ven opt-out` does) for one site over a window:
    within a poll, that site's EVs leave the plan (no setpoints), TELEMETRY_STATUS says manual override
    for that site, and the VTN gets oadrCreateOpt (optOut, overrideStatus, eiTarget resourceID)."""
    vtn.request_status = True
    running = await start_app(two_sites(tmp_path, vtn.url))
    app = running.app
    ven_id = await running.registered()
    await asyncio.wait_for(vtn.event(ven_id, "e1", [-20.0] * 30, seconds=2), WAIT)
    await until(lambda: app.controller.executing is not None, WAIT)

    async def setpoints() -> dict[str, float]:
        reading = await app.gateway.read()
        return {
            e: float(v) for e, v in zip(reading.ev_ids, reading.setpoint_kw, strict=True) if np.isfinite(v)
        }

    await until(lambda: bool(app.controller.last_plan), WAIT)
    assert {"b1", "b2"} & set(await setpoints())  # depot-b takes part before the override
    now = datetime.now(UTC)
    with Store.open(tmp_path / "ven.db") as other_process:
        override = record_override(
            other_process,
            sites={"depot-a", "depot-b"},
            now=now,
            start=now,
            end=now + timedelta(hours=1),
            site="depot-b",
        )
    await until(lambda: bool(opts(vtn)), WAIT)
    [opt] = opts(vtn)
    assert (opt["opt_type"], opt["opt_reason"], opt["targets"]) == (
        "optOut",
        "overrideStatus",
        [{"resource_id": "depot-b"}],
    )
    component = opt["vavailability"]["components"]["available"]  # openleadr flattens a single one
    assert override.window is not None
    assert component["dtstart"] == override.window.start.replace(microsecond=0)

    async def depot_b_left_alone() -> bool:
        return not {"b1", "b2"} & set(await setpoints())

    await until(depot_b_left_alone, WAIT, "depot b left alone")
    assert {"a1", "a2"} <= set(await setpoints())  # the rest of the fleet still delivers
    await until(
        lambda: app.sampler.latest is not None and app.sampler.latest.resources["depot-b"].manual_override,
        WAIT,
    )
    latest = app.sampler.latest
    assert latest is not None
    assert latest.resources["depot-a"].manual_override is False
    assert latest.resources["fleet"].manual_override is True

    def status_sent() -> bool:
        found = [
            i["report_payload"]["payload_resource_status"]
            for u in vtn.updates
            for r in u["reports"]
            for i in r.get("intervals", [])
            if i["report_payload"].get("r_id") == "depot-b.status"
        ]
        return bool(found) and found[-1]["manual_override"] is True

    await until(status_sent, WAIT)


async def test_event_override_opts_out_of_a_running_event(
    vtn: RecordingVtn, tmp_path: Path, start_app: Any
) -> None:
    """`ven opt-out --event ID` for a running event: the fleet is released and the VTN gets an
    event-specific oadrCreateOpt (optOut, qualifiedEventID)."""
    running = await start_app(two_sites(tmp_path, vtn.url, http='listen = "127.0.0.1:0"'))
    app = running.app
    ven_id = await running.registered()
    await asyncio.wait_for(vtn.event(ven_id, "e1", [-20.0] * 30, seconds=2), WAIT)
    await until(lambda: app.controller.executing is not None, WAIT)
    assert app.http is not None
    url = f"http://127.0.0.1:{bound_port(app.http)}/api/opt-out"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"event": "e1", "note": "school trip"}) as response:
            assert response.status == 201
            body = await response.json()
        async with session.post(url, json={"from": "+1h", "until": "now"}) as bad:
            assert bad.status == 422
            assert "must be after" in (await bad.json())["detail"]
    assert body["event_id"] == "e1"
    await until(lambda: app.controller.executing is None, WAIT)
    await until(lambda: bool(opts(vtn)), WAIT)
    [opt] = opts(vtn)
    assert (opt["event_id"], opt["modification_number"], opt["opt_type"]) == ("e1", 0, "optOut")
    view = app.book.get("e1")
    assert view is not None
    assert not view.dispatchable


async def test_conformance_048_market_context(vtn: RecordingVtn, tmp_path: Path, start_app: Any) -> None:
    """When a VTN or VEN receives schema compliant oadr payload that has logical errors, the receiving
    device must provide an application layer error indication of 4xx. [...] The following logical errors
    must be detected by implementations: VEN receives non-matching market context [...]
    """
    ven = f'name = "test-ven"\nvtn_url = "{vtn.url}"\nmarket_contexts = ["oadr://ours"]'
    running = await start_app(write_config(tmp_path, vtn.url, ven=ven))
    ven_id = await running.registered()
    theirs = vtn.event(ven_id, "theirs", [-5.0], market_context="oadr://someone-else")
    assert await asyncio.wait_for(theirs, WAIT) == "optOut"
    [response] = vtn.created_for("theirs")
    assert 400 <= response["response_code"] < 500
    assert "market context" in response["response_description"]
    ours = vtn.event(
        ven_id, "ours", [-5.0], market_context="oadr://ours", start=datetime.now(UTC) + timedelta(minutes=5)
    )
    assert await asyncio.wait_for(ours, WAIT) == "optIn"


async def test_every_ev_away_window_sent_as_not_participating(
    vtn: RecordingVtn, tmp_path: Path, start_app: Any
) -> None:
    """Two EVs on a daily routine (leave in 2 h, back 3 h later): the VTN receives an oadrCreateOpt
    (optOut, notParticipating) whose first vavailability component is that window, the next day's after."""
    now = datetime.now(UTC)
    leave, back = now + timedelta(hours=2), now + timedelta(hours=5)
    routine = f"{leave:%H:%M},0.8,UTC,daily,{back:%H:%M}"
    config = write_config(tmp_path, vtn.url)
    (tmp_path / "fleet.csv").write_text(
        "ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,min_soc,departure,departure_soc,"
        f"timezone,days,plug_in\na1,depot-a,60,0.7,11,10,0.2,{routine}\nb1,depot-b,60,0.7,11,10,0.2,{routine}\n"
    )
    running = await start_app(config)
    await running.registered()
    await until(lambda: any(o["opt_reason"] == "notParticipating" for o in opts(vtn)), WAIT)
    [away] = [o for o in opts(vtn) if o["opt_reason"] == "notParticipating"]
    assert away["opt_type"] == "optOut"
    components = [c["properties"] for c in away["vavailability"]["components"]["available"]]
    first_start = leave.replace(second=0, microsecond=0)
    assert [(c["dtstart"], c["duration"]) for c in components[:2]] == [
        (first_start, timedelta(hours=3)),
        (first_start + timedelta(days=1), timedelta(hours=3)),
    ]
