"""The mock VTN keeps VENs' opt schedules, shows them in its admin API, and — when asked to — leaves a
VEN out of events overlapping its optOut windows. Our VenClient is the peer, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ven.events import Answer
from ven.events.model import DrEvent
from ven.openadr import wire
from ven.openadr.client import VenClient
from vtn_mock.config import AdminSection, VtnConfig, VtnSection
from vtn_mock.opts import OptPayloadError, opt_from_openleadr
from vtn_mock.scenario import ScenarioFile, expand, run_scenario
from vtn_mock.server import RunningVtn, start_vtn

H = timedelta(hours=1)


async def opt_in(_event: DrEvent) -> Answer:
    return Answer.opt_in()


@pytest.fixture
async def vtn(tmp_path: Path) -> AsyncIterator[RunningVtn]:
    config = VtnConfig(
        vtn=VtnSection(port=0, database=str(tmp_path / "vtn.sqlite")), admin=AdminSection(port=0)
    )
    running = await start_vtn(config)
    yield running
    await running.stop()


@pytest.fixture
async def vens(vtn: RunningVtn) -> AsyncIterator[list[VenClient]]:
    clients = [VenClient(name, vtn.openadr_url, on_event=opt_in) for name in ("north", "south")]
    for client in clients:
        await client.start()
    yield clients
    for client in clients:
        await client.stop()


async def get(url: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        return await response.json()


async def post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, await response.json()


def out_window(ven: VenClient, opt_id: str, start: datetime, length: timedelta) -> wire.OptMessage:
    registration = ven.registration
    assert registration is not None
    return wire.OptMessage(
        opt_id, "optOut", "x-schedule", registration.ven_id, "r", start, components=[(start, length)]
    )


async def test_opt_schedules_are_kept_and_listed(vtn: RunningVtn, vens: list[VenClient]) -> None:
    """oadrCreateOpt with windows and an event opt are stored and listed; oadrCancelOpt marks one cancelled;
    cancelling an opt the VEN never sent is refused."""
    north, _ = vens
    start = datetime.now(UTC).replace(microsecond=0) + H
    assert await north.create_opt(out_window(north, "opt-a", start, 3 * H))
    registration = north.registration
    assert registration is not None
    event_opt = wire.OptMessage(
        "opt-b",
        "optOut",
        "overrideStatus",
        registration.ven_id,
        "r",
        start,
        event_id="evt-1",
        modification_number=0,
        resource_ids=["depot-b"],
    )
    assert await north.create_opt(event_opt)
    listed = await get(f"{vtn.admin_url}/opts?ven=north")
    assert [(o["opt_id"], o["opt_reason"], o["live"]) for o in listed] == [
        ("opt-a", "x-schedule", True),
        ("opt-b", "overrideStatus", True),
    ]
    assert listed[0]["windows"] == [
        {
            "start": start.isoformat().replace("+00:00", "Z"),
            "end": (start + 3 * H).isoformat().replace("+00:00", "Z"),
            "duration": "PT3H",
        }
    ]
    assert (listed[1]["event_id"], listed[1]["resource_ids"]) == ("evt-1", ["depot-b"])
    assert await north.cancel_opt("opt-a")
    assert not await north.cancel_opt("never-sent")
    live = await get(f"{vtn.admin_url}/opts?ven=north&live=true")
    assert [o["opt_id"] for o in live] == ["opt-b"]
    assert await get(f"{vtn.admin_url}/opts?ven=south") == []


async def test_respect_opt_outs_leaves_opted_out_vens_out(vtn: RunningVtn, vens: list[VenClient]) -> None:
    """An event overlapping north's optOut window goes to south only when respect_opt_outs is asked for;
    to nobody (422) when every selected VEN opted out; to both otherwise."""
    north, _ = vens
    start = datetime.now(UTC).replace(microsecond=0) + H
    assert await north.create_opt(out_window(north, "opt-a", start, 3 * H))
    body = {
        "signal": "LOAD_DISPATCH",
        "start": (start + H).isoformat(),
        "intervals": [{"duration": "PT30M", "value": -100}],
    }
    status, created = await post(f"{vtn.admin_url}/events", {**body, "respect_opt_outs": True})
    assert status == 201
    names = {v["ven_id"]: v["ven_name"] for v in await get(f"{vtn.admin_url}/vens")}
    assert [names[v] for v in created["vens"]] == ["south"]
    assert [(e["ven_name"], e["opt_id"]) for e in created["excluded"]] == [("north", "opt-a")]
    status, refused = await post(
        f"{vtn.admin_url}/events", {**body, "ven": "north", "respect_opt_outs": True}
    )
    assert status == 422
    assert "opted out" in refused["detail"][0]["msg"]
    status, both = await post(f"{vtn.admin_url}/events", body)
    assert (status, len(both["vens"]), both["excluded"]) == (201, 2, [])
    later = {**body, "start": (start + 4 * H).isoformat(), "respect_opt_outs": True}
    status, after = await post(f"{vtn.admin_url}/events", later)
    assert (status, len(after["vens"])) == (201, 2)  # outside the window


def test_unreadable_opt_is_refused() -> None:
    """An availability component without a start cannot be kept (the endpoint answers 454)."""
    payload = {
        "opt_id": "o",
        "ven_id": "v",
        "opt_type": "optOut",
        "opt_reason": "x-schedule",
        "vavailability": {"components": {"available": [{"properties": {"duration": H}}]}},
    }
    with pytest.raises(OptPayloadError, match="unreadable"):
        opt_from_openleadr(payload, datetime.now(UTC))


async def test_scenario_events_respect_opt_outs_when_asked(vtn: RunningVtn, vens: list[VenClient]) -> None:
    """A scenario with `respect_opt_outs = true` in its defaults leaves north out of its event inside
    north's optOut window."""
    north, _ = vens
    start = datetime.now(UTC).replace(microsecond=0) + H
    assert await north.create_opt(out_window(north, "opt-a", start, 3 * H))
    scenario = ScenarioFile.model_validate(
        {
            "scenario": {"name": "s"},
            "defaults": {
                "signal": "LOAD_DISPATCH",
                "intervals": [{"duration": "30m", "value": -50}],
                "respect_opt_outs": True,
                "notice": "3h",  # created (sent) at once
            },
            "events": [{"start": (start + H).isoformat()}],
        }
    )
    await run_scenario(vtn.core, expand(scenario, datetime.now(UTC)))
    [event] = vtn.core.events()
    names = {v.ven_id: v.ven_name for v in vtn.core.vens()}
    assert [names[v] for v in event.ven_ids] == ["south"]
