"""The dashboards' HTTP surface without a browser: the JSON, the event stream, the files and their headers."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import urllib.request
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import aiohttp

from tests.waiting import until
from ven.http.assets import CSP

from .conftest import Stack

ROOT = Path(__file__).resolve().parents[2]


async def read_events(response: aiohttp.ClientResponse, count: int) -> list[tuple[str, Any]]:
    """The first `count` server-sent events of a stream, as (type, data)."""
    events: list[tuple[str, Any]] = []
    kind = "message"
    async with asyncio.timeout(15):
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
                if len(events) == count:
                    break
    return events


async def test_dashboard_json_agrees_with_status(start_stack) -> None:
    """/api/dashboard carries the registration, link, fleet and EVs that /status and the fleet file give."""
    stack: Stack = await start_stack()
    status = await stack.get(stack.ven_url + "status")
    dashboard = await stack.get(stack.ven_url + "api/dashboard?limit=2")
    assert dashboard["identity"]["ven_id"] == status["registration"]["ven_id"]
    assert dashboard["identity"]["evs"] == status["fleet"]["evs"] == 4
    assert dashboard["identity"]["sites"] == ["depot"]
    assert dashboard["link"]["registered"] is True
    assert dashboard["link"]["up"] is status["vtn_link_up"] is True
    for key in ("usage_kw", "baseline_kw", "delta_usage_kw", "available_reduction_kw", "stored_energy_kwh"):
        assert dashboard["fleet"][key] == status["fleet"][key], key
    assert [g["name"] for g in dashboard["soc_by_class"]] == ["V1G 11 kW", "V2G 11/10 kW"]
    assert [g["evs"] for g in dashboard["soc_by_class"]] == [1, 3]
    evs = dashboard["evs"]
    assert (evs["total"], evs["matched"], evs["limit"], len(evs["rows"])) == (4, 4, 2, 2)
    assert [r["ev_id"] for r in evs["rows"]] == ["ev1", "ev2"]
    assert dashboard["chart"] is None
    assert dashboard["events"] == []


async def test_bad_table_query_is_a_400_naming_the_parameter(start_stack) -> None:
    """An unknown sort or a non-integer offset is answered 400 with what is wrong."""
    stack: Stack = await start_stack()
    for query, detail in (
        ("sort=speed", "sort: one of ev_id, soc, departure, site"),
        ("offset=x", "offset: not an integer"),
    ):
        async with stack.session.get(stack.ven_url + "api/dashboard?" + query) as response:
            assert response.status == 400
            assert (await response.json())["detail"] == detail
        async with stack.session.get(stack.ven_url + "api/stream?" + query) as response:
            assert response.status == 400


async def test_stream_sends_a_snapshot_at_once_then_after_each_change(start_stack) -> None:
    """A stream opens with a snapshot (with the asked page of EVs), sends ticks while nothing changes, and a
    new snapshot once the VEN's state changes (here: an event arrives)."""
    stack: Stack = await start_stack()
    async with stack.session.get(stack.ven_url + "api/stream?site=depot&limit=3") as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        ((kind, first),) = await read_events(response, 1)
        assert kind == "snapshot"
        assert first["identity"]["ven_name"] == "dash-ven"
        assert (first["evs"]["site"], len(first["evs"]["rows"])) == ("depot", 3)
        event_id = await stack.create_event(timedelta(minutes=5), [-5])
        seen: list[tuple[str, Any]] = []
        while not any(k == "snapshot" and d["events"] for k, d in seen):
            seen += await read_events(response, 1)
        snapshot = next(d for k, d in seen if k == "snapshot" and d["events"])
        assert snapshot["events"][0]["event_id"] == event_id
        ticks = [d for k, d in seen if k == "tick"]
        assert all(set(t) == {"time", "link"} for t in ticks)


async def test_vtn_stream_follows_the_vens_and_events(start_stack) -> None:
    """The VTN dashboard's stream lists the VEN polling and, after one is made, the event with its answer
    and (asked for with ?event=) its performance as the performance API computes it."""
    stack: Stack = await start_stack()
    event_id = await stack.create_event(timedelta(minutes=5), [-5, -6])

    async def answered() -> bool:
        event = await stack.get(f"{stack.vtn.admin_url}/events/{event_id}")
        return event["vens"][0]["opt"] == "optIn"

    await until(answered)
    async with stack.session.get(f"{stack.vtn_url}api/stream?event={event_id}") as response:
        ((kind, snapshot),) = await read_events(response, 1)
    assert kind == "snapshot"
    assert [(v["ven_name"], v["registered"]) for v in snapshot["vens"]] == [("dash-ven", True)]
    assert snapshot["vens"][0]["link"] in ("polling", "waiting")
    assert [e["event_id"] for e in snapshot["events"]] == [event_id]
    assert snapshot["events"][0]["vens"][0]["opt"] == "optIn"
    performance = await stack.get(f"{stack.vtn.admin_url}/events/{event_id}/performance")
    assert snapshot["performance"] == performance
    assert snapshot["signal_types"]["LOAD_DISPATCH"] == ["delta", "setpoint"]


async def test_pages_and_files_come_from_the_package_with_a_strict_policy(start_stack) -> None:
    """GET / on both servers is HTML that only its own origin may feed (CSP), from files installed as
    package data; an unknown file is a 404."""
    stack: Stack = await start_stack()
    for base, package, page in (
        (stack.ven_url, "ven.http", "index.html"),
        (stack.vtn_url, "vtn_mock.admin", "vtn.html"),
    ):
        async with stack.session.get(base) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/html")
            assert response.headers["Content-Security-Policy"] == CSP
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            body = await response.read()
        assert body == (resources.files(package) / "static" / page).read_bytes()
        assert b"http://" not in body.replace(b"http://www.w3.org", b"")
        async with stack.session.get(base + "static/common.js") as response:
            assert response.headers["Content-Type"].startswith("text/javascript")
        async with stack.session.get(base + "static/nope.js") as response:
            assert response.status == 404
    assert "default-src 'none'" in CSP
    assert "connect-src 'self'" in CSP


async def test_warnings_the_ven_logs_are_listed_newest_first(start_stack) -> None:
    """WARNING records of the VEN's loggers reach the dashboard (newest first, with their source); INFO
    records do not."""
    stack: Stack = await start_stack()
    logging.getLogger("ven.dispatch.controller").warning("event %s: %d setpoints rejected", "e1", 3)
    logging.getLogger("ven.runtime").info("not a warning")
    logging.getLogger("policies.optimal").error("solver gave up")
    warnings = (await stack.get(stack.ven_url + "api/dashboard"))["warnings"]
    assert [(w["level"], w["source"], w["message"]) for w in warnings[:2]] == [
        ("ERROR", "policies.optimal", "solver gave up"),
        ("WARNING", "ven.dispatch.controller", "event e1: 3 setpoints rejected"),
    ]
    assert all(w["message"] != "not a warning" for w in warnings)


def test_vtn_mock_serve_announces_and_serves_its_dashboard(tmp_path: Path) -> None:
    """`vtn-mock serve` (a real process) names its dashboard in the ready line and serves the page there."""
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vtn_mock.cli",
            "serve",
            "--port",
            "0",
            "--admin-port",
            "0",
            "--db",
            str(tmp_path / "v.db"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            ready = json.loads(process.stdout.readline())
            assert ready["dashboard_url"] == ready["admin_url"].removesuffix("api")
            with urllib.request.urlopen(ready["dashboard_url"], timeout=30) as response:  # noqa: S310 - loopback
                assert response.headers["Content-Type"].startswith("text/html")
                assert b"Mock VTN" in response.read()
        finally:
            process.terminate()
            assert process.wait(timeout=30) == 0
