"""Our VEN over OpenADR 3.1 (`[ven] protocol = "openadr3"`) against `vtn-mock serve` on 127.0.0.1: it
registers with client credentials, appears in /api/vens, takes an admin-API event, dispatches the fleet,
reports USAGE and BASELINE per interval, and the mock VTN measures its performance; every request it sends
and every answer it gets are checked against openadr3.yaml."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.openadr3.spec import SpecChecker, require_spec
from tests.runtime.conftest import BASELINE_KW, Running, settles, write_config
from tests.vtn_mock.conftest import VtnProcess, start_vtn, stop_vtn
from tests.waiting import until
from ven.events.answers import Opt
from ven.events.model import EventStatus
from ven.openadr3.client import Exchange
from ven.openadr3.link import OpenADR3Link
from ven.runtime.app import VenApp
from ven.runtime.config import load_config

pytestmark = pytest.mark.slow
WAIT = 20.0
VEN_NAME = "test-ven"


class Checked:
    """Every exchange of our 3.1 client, validated against the specification as it happens."""

    def __init__(self, base_url: str) -> None:
        self.checker = SpecChecker(base_url)
        self.exchanges: list[Exchange] = []
        self.failures: list[str] = []

    def __call__(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)  # API calls only: the client shows no token request
        try:
            auth = "Bearer checked" if exchange.bearer else None
            self.checker.check_request(
                exchange.method, exchange.url, exchange.request_body, exchange.request_type, auth
            )
            self.checker.check(
                exchange.method,
                exchange.url,
                exchange.status,
                exchange.body,
                exchange.content_type,
                request_body=exchange.request_body,
                request_type=exchange.request_type,
            )
        except Exception as err:  # noqa: BLE001 - collected, asserted at the end of the test
            self.failures.append(f"{exchange.method} {exchange.url} ({exchange.status}): {err!r}")


@pytest.fixture
def vtn(tmp_path: Path) -> Iterator[VtnProcess]:
    require_spec()
    process = start_vtn(tmp_path)
    yield process
    if process.alive():
        assert stop_vtn(process) == 0, process.log.read_text()


def admin(vtn: VtnProcess) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=vtn.admin_url, timeout=10.0)


async def a_program(vtn: VtnProcess) -> None:
    """A programme made by business logic, so the VTN tells VENs its poll interval from the start."""
    base = str(vtn.ready["openadr3_url"])
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as bl:
        form = {"grant_type": "client_credentials", "client_id": "bl", "client_secret": "bl-secret"}
        token = (await bl.post("/auth/token", data=form)).json()["access_token"]
        created = await bl.post(
            "/programs", json={"programName": "e2e"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201, created.text


def openadr3_config(folder: Path, vtn: VtnProcess) -> Path:
    return write_config(
        folder,
        str(vtn.ready["openadr3_url"]),
        ven=f'name = "{VEN_NAME}"\nvtn_url = "{vtn.ready["openadr3_url"]}"\nprotocol = "openadr3"',
        oauth='client_id = "ven"\nclient_secret = "ven-secret"',
    )


@pytest.fixture
async def start_ven() -> AsyncIterator[Callable[[Path, VtnProcess], Awaitable[tuple[Running, Checked]]]]:
    running: list[Running] = []

    async def start(config_path: Path, vtn: VtnProcess) -> tuple[Running, Checked]:
        app = VenApp.build(load_config(config_path))
        assert isinstance(app.client, OpenADR3Link)
        checked = Checked(str(vtn.ready["openadr3_url"]))
        app.client.client.observer = checked
        stop = asyncio.Event()
        item = Running(app, stop, asyncio.create_task(app.run(stop)))
        running.append(item)
        return item, checked

    yield start
    for item in running:
        if not item.task.done():
            await item.shutdown()


async def post_event(
    vtn: VtnProcess,
    values: list[float],
    *,
    seconds: int = 3,
    lead_s: int = 2,
    signal: str = "LOAD_DISPATCH",
    signal_type: str = "delta",
) -> str:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead_s)
    body = {
        "ven": VEN_NAME,
        "signal": signal,
        "type": signal_type,
        "start": start.isoformat(),
        "intervals": [{"duration": f"PT{seconds}S", "value": v} for v in values],
    }
    async with admin(vtn) as client:
        created = await client.post("/events", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["event_id"])


async def performance_of(vtn: VtnProcess, event_id: str) -> dict[str, Any] | None:
    """The event's performance once every interval is measured."""
    async with admin(vtn) as client:
        found: dict[str, Any] = (await client.get(f"/events/{event_id}/performance")).json()
    intervals = found.get("intervals") or []
    return found if intervals and all(i["measured_kw"] is not None for i in intervals) else None


async def test_event_opt_dispatch_reports_performance(vtn: VtnProcess, tmp_path: Path, start_ven) -> None:
    """Registered over 3.1, the VEN opts in to a −20 kW delta, its fleet draws 20 kW less, and the mock
    VTN's performance, from the VEN's USAGE and BASELINE reports, shows about 20 kW delivered of 20."""
    await a_program(vtn)
    running, checked = await start_ven(openadr3_config(tmp_path, vtn), vtn)
    app = running.app

    async def listed() -> bool:
        async with admin(vtn) as client:
            return VEN_NAME in [v["ven_name"] for v in (await client.get("/vens")).json()]

    await until(listed, WAIT, "the VEN in /api/vens")
    event_id = await post_event(vtn, [-20.0, -20.0])
    await until(lambda: (v := app.book.get(event_id)) is not None and v.opt is Opt.IN, WAIT, "optIn")
    await until(lambda: app.controller.executing is not None, WAIT, "dispatch")
    await settles(app.gateway, BASELINE_KW - 20.0, 1.5, WAIT)
    performance = await until(lambda: performance_of(vtn, event_id), WAIT * 2, "performance measured")
    intervals = performance["intervals"]
    assert [i["requested_kw"] for i in intervals] == [20.0, 20.0]
    assert all(abs(i["baseline_kw"] - BASELINE_KW) < 2.0 for i in intervals)
    assert abs(intervals[-1]["delivered_kw"] - 20.0) < 4.0
    assert checked.failures == []
    assert checked.checker.requests_checked > 5
    kinds = {(e.method, e.url.split("/3.1.0", 1)[1].split("?")[0].rstrip("/")) for e in checked.exchanges}
    assert ("POST", "/reports") in kinds
    assert ("GET", "/events") in kinds


async def test_reports_survive_a_vtn_outage(vtn: VtnProcess, tmp_path: Path, start_ven) -> None:
    """With the VTN down while an event runs, no measured interval is lost: once it is back (restarted on
    the same database), the VEN sends the whole report again and the performance counts every interval."""
    await a_program(vtn)
    running, checked = await start_ven(openadr3_config(tmp_path, vtn), vtn)
    app = running.app
    await until(lambda: app.client.registration is not None and app.client.link_up, WAIT, "registered")
    event_id = await post_event(vtn, [-10.0, -10.0, -10.0], seconds=2)
    await until(lambda: app.controller.executing is not None, WAIT, "dispatch")
    assert stop_vtn(vtn) == 0
    await until(lambda: not app.client.link_up, WAIT, "the link down")
    await until(lambda: app.controller.executing is None, WAIT, "the event over, VTN still down")
    restarted = start_vtn(tmp_path, "--port", str(_port(vtn)))
    try:
        performance = await until(lambda: performance_of(restarted, event_id), WAIT * 2, "performance")
        assert len(performance["intervals"]) == 3
        assert all(i["measured_kw"] is not None for i in performance["intervals"])
    finally:
        with contextlib.suppress(Exception):
            stop_vtn(restarted)
    assert checked.failures == []


def _port(vtn: VtnProcess) -> int:
    return int(str(vtn.ready["openadr3_url"]).split(":")[2].split("/")[0])


async def test_deleted_event_releases_fleet(vtn: VtnProcess, tmp_path: Path, start_ven) -> None:
    """A cancelled admin-API event disappears from the VEN's 3.1 event list: the book cancels it (implied
    cancellation) and the fleet returns to its baseline."""
    await a_program(vtn)
    running, checked = await start_ven(openadr3_config(tmp_path, vtn), vtn)
    app = running.app
    await until(lambda: app.client.registration is not None, WAIT, "registered")
    event_id = await post_event(vtn, [-20.0] * 10, seconds=3, lead_s=1)
    await until(lambda: app.controller.executing is not None, WAIT, "dispatch")
    async with admin(vtn) as client:
        assert (await client.delete(f"/events/{event_id}")).status_code == 200
    await until(lambda: app.controller.executing is None, WAIT, "dispatch stopped")
    await settles(app.gateway, BASELINE_KW, 1.0, WAIT)
    assert checked.failures == []


async def test_webhook_notification_brings_the_event_at_once(tmp_path: Path, start_ven) -> None:
    """With `webhook_listen`, the VEN subscribes (echo challenge answered) and a new event's notification
    makes it poll at once: it opts in long before its 60 s poll interval comes round."""
    require_spec()
    slow = start_vtn(tmp_path, "--poll-interval", "60s")
    try:
        await a_program(slow)
        ven = (
            f'name = "{VEN_NAME}"\nvtn_url = "{slow.ready["openadr3_url"]}"\nprotocol = "openadr3"\n'
            'webhook_listen = "127.0.0.1:0"'
        )
        config = write_config(tmp_path, "", ven=ven, oauth='client_id = "ven"\nclient_secret = "ven-secret"')
        running, checked = await start_ven(config, slow)
        link = running.app.client
        assert isinstance(link, OpenADR3Link)
        await until(lambda: link.subscription_id is not None, WAIT, "subscribed")
        await until(
            lambda: link.registration is not None and link.registration.poll_interval.total_seconds() == 60,
            WAIT,
            "told 60 s",
        )
        event_id = await post_event(slow, [-20.0, -20.0], lead_s=5)
        book = running.app.book
        await until(
            lambda: (v := book.get(event_id)) is not None and v.opt is Opt.IN, 10.0, "optIn by notification"
        )
        assert checked.failures == []
    finally:
        if slow.alive():
            stop_vtn(slow)


async def test_unsupported_payload_is_opted_out_and_never_dispatched(
    vtn: VtnProcess, tmp_path: Path, start_ven
) -> None:
    """A 3.1 event asking for EXPORT_CAPACITY_LIMIT (posted by business logic) is answered optOut, which
    3.1 cannot send: the VEN keeps it and never dispatches it, also while it is active."""
    base = str(vtn.ready["openadr3_url"])
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as bl:
        form = {"grant_type": "client_credentials", "client_id": "bl", "client_secret": "bl-secret"}
        token = (await bl.post("/auth/token", data=form)).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        program = (await bl.post("/programs", json={"programName": "export"}, headers=auth)).json()
        running, checked = await start_ven(openadr3_config(tmp_path, vtn), vtn)
        app = running.app
        await until(lambda: app.client.registration is not None, WAIT, "registered")
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        event = {
            "programID": program["id"],
            "intervalPeriod": {"start": start.isoformat(), "duration": "PT6S"},
            "intervals": [{"id": 0, "payloads": [{"type": "EXPORT_CAPACITY_LIMIT", "values": [5]}]}],
        }
        created = await bl.post("/events", json=event, headers=auth)
        assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    view = await until(lambda: app.book.get(event_id), WAIT, "the event in the book")
    assert view.opt is Opt.OUT
    assert view.answer is not None
    assert "EXPORT_CAPACITY_LIMIT" in view.answer.reason
    await until(lambda: view.status(app.clock.now()) is EventStatus.ACTIVE, WAIT, "the event active")
    assert app.controller.executing is None
    assert checked.failures == []


async def test_modification_replans(vtn: VtnProcess, tmp_path: Path, start_ven) -> None:
    """A modified event (a deeper reduction: a later modificationDateTime) is re-planned and dispatched."""
    await a_program(vtn)
    running, checked = await start_ven(openadr3_config(tmp_path, vtn), vtn)
    app = running.app
    await until(lambda: app.client.registration is not None, WAIT, "registered")
    event_id = await post_event(vtn, [-10.0] * 10, seconds=3, lead_s=1)
    executing = await until(lambda: app.controller.executing, WAIT, "dispatch")
    async with admin(vtn) as client:
        body = {"intervals": [{"duration": "PT3S", "value": -30.0}] * 10}
        changed = await client.patch(f"/events/{event_id}", json=body)
        assert changed.status_code == 200, changed.text
    await until(
        lambda: (now := app.controller.executing) is not None and now[1] > executing[1], WAIT, "replanned"
    )
    await settles(app.gateway, BASELINE_KW - 30.0, 1.5, WAIT)
    assert checked.failures == []


async def test_restarted_ven_resumes_and_updates_its_report(
    vtn: VtnProcess, tmp_path: Path, start_ven
) -> None:
    """A VEN restarted mid-event keeps its answer (not decided again), dispatches on, and updates the report
    it had posted instead of posting a second one; the VTN sees the same venID."""
    await a_program(vtn)
    config = openadr3_config(tmp_path, vtn)
    first, _ = await start_ven(config, vtn)
    await until(lambda: first.app.client.registration is not None, WAIT, "registered")
    ven_id = first.app.client.registration.ven_id
    event_id = await post_event(vtn, [-15.0] * 4, seconds=2, lead_s=1)
    await until(lambda: first.app.controller.executing is not None, WAIT, "dispatch")
    base = str(vtn.ready["openadr3_url"])

    async def reports() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=base, timeout=10.0) as bl:
            form = {"grant_type": "client_credentials", "client_id": "bl", "client_secret": "bl-secret"}
            token = (await bl.post("/auth/token", data=form)).json()["access_token"]
            found = await bl.get(
                "/reports", params={"eventID": event_id}, headers={"Authorization": f"Bearer {token}"}
            )
            return list(found.json())

    await until(reports, WAIT, "the first report")
    await first.shutdown()
    second, checked = await start_ven(config, vtn)
    app = second.app
    await until(lambda: app.client.registration is not None, WAIT, "registered again")
    assert app.client.registration.ven_id == ven_id
    view = app.book.get(event_id)
    assert view is not None
    assert view.opt is Opt.IN
    await until(lambda: performance_of(vtn, event_id), WAIT * 2, "every interval measured")
    assert len(await reports()) == 1
    assert checked.failures == []


KINDS = {"simple": ("SIMPLE", "level", 3.0, None), "setpoint": ("LOAD_DISPATCH", "setpoint", 30.0, 30.0)}


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_simple_and_setpoint_events(vtn: VtnProcess, tmp_path: Path, start_ven, kind: str) -> None:
    """SIMPLE level 3 (3.1 SIMPLE) and a 30 kW setpoint (DISPATCH_SETPOINT) are opted in and dispatched;
    the setpoint holds the fleet at 30 kW."""
    signal, signal_type, value, power_kw = KINDS[kind]
    await a_program(vtn)
    running, checked = await start_ven(openadr3_config(tmp_path, vtn), vtn)
    app = running.app
    await until(lambda: app.client.registration is not None, WAIT, "registered")
    event_id = await post_event(vtn, [value] * 5, seconds=3, lead_s=1, signal=signal, signal_type=signal_type)
    await until(lambda: (v := app.book.get(event_id)) is not None and v.opt is Opt.IN, WAIT, "optIn")
    await until(lambda: app.controller.executing is not None, WAIT, "dispatch")
    if power_kw is not None:
        await settles(app.gateway, power_kw, 1.5, WAIT)
    assert checked.failures == []
