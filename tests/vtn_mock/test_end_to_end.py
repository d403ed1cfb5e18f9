"""A stock openleadr OpenADRClient (no code of ours) against `vtn-mock serve` running as a subprocess."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from openleadr import OpenADRClient, enums

from tests.vtn_mock.conftest import VtnProcess
from tests.waiting import until

pytestmark = pytest.mark.slow

USAGE_KW = 420.0
BASELINE_KW = 900.0


class StockVen:
    """openleadr's own VEN: opts in to everything, reports constant fleet usage and baseline every second."""

    def __init__(self, vtn_url: str, name: str = "fleet-a") -> None:
        self.events: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.client = OpenADRClient(ven_name=name, vtn_url=vtn_url)
        self.client.add_handler("on_event", self._on_event)
        self.client.add_handler("on_update_event", self._on_update_event)
        for report_type, value in (("usage", USAGE_KW), ("baseline", BASELINE_KW)):
            self.client.add_report(
                callback=lambda v=value: v,
                resource_id="fleet",
                measurement="power_real",
                report_type=report_type,
                scale="k",
                sampling_rate=timedelta(seconds=1),
                report_duration=timedelta(seconds=1),
            )

    async def _on_event(self, event: dict[str, Any]) -> str:
        self.events.append(event)
        return "optIn"

    async def _on_update_event(self, event: dict[str, Any]) -> str:
        self.updates.append(event)
        return "optIn"


@pytest.fixture
async def ven(vtn: VtnProcess, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[StockVen]:
    # openleadr's add_report(scale="k") writes into its shared POWER_REAL object: undone after the test.
    monkeypatch.setattr(enums.MEASUREMENTS.POWER_REAL, "scale", enums.MEASUREMENTS.POWER_REAL.scale)
    stock = StockVen(vtn.openadr_url)
    await stock.client.run()
    yield stock
    await stock.client.stop()


@pytest.fixture
async def admin(vtn: VtnProcess) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    async with aiohttp.ClientSession() as session:

        async def call(method: str, path: str, body: Any = None, status: int = 200) -> Any:
            async with session.request(method, vtn.admin_url + path, json=body) as resp:
                data = await resp.json()
                assert resp.status == status, data
                return data

        yield call


async def test_register_event_opt_in_report_and_performance(vtn, ven, admin):
    """The stock VEN registers, gets an admin-made event, opts in, reports; performance per CONTRACT.md."""
    vens = await admin("GET", "/vens")
    assert [v["ven_name"] for v in vens] == ["fleet-a"]
    assert vens[0]["registered"]
    assert vens[0]["registered_at"]
    created = await admin(
        "POST",
        "/events",
        {
            "ven": "fleet-a",
            "signal": "LOAD_DISPATCH",
            "type": "delta",
            "start": "now",
            "intervals": [{"duration": "PT2S", "value": -500}, {"duration": "2s", "value": -400}],
            "response_required": "always",
            "test_event": False,
        },
        status=201,
    )
    event_id = created["event_id"]

    async def opted_in() -> bool:
        shown = await admin("GET", f"/events/{event_id}")
        return shown["vens"][0]["opt"] == "optIn"

    await until(opted_in)
    assert ven.events[0]["event_descriptor"]["event_id"] == event_id
    assert [i["signal_payload"] for i in ven.events[0]["event_signals"][0]["intervals"]] == [-500.0, -400.0]

    async def run_its_course() -> dict[str, Any] | None:
        """The performance once the event is over and every interval has the VEN's readings."""
        if (await admin("GET", f"/events/{event_id}"))["status"] != "completed":
            return None
        performance: dict[str, Any] = await admin("GET", f"/events/{event_id}/performance")
        return performance if all(i["measured_kw"] is not None for i in performance["intervals"]) else None

    performance = await until(run_its_course, 30.0)
    rows = [
        (i["requested_kw"], i["baseline_kw"], i["measured_kw"], i["delivered_kw"])
        for i in performance["intervals"]
    ]
    assert rows == [(500.0, BASELINE_KW, USAGE_KW, 480.0), (400.0, BASELINE_KW, USAGE_KW, 480.0)]
    assert performance["totals"] == {
        "requested_kw_avg": 450.0,
        "delivered_kw_avg": 480.0,
        "delivered_ratio": pytest.approx(480 / 450, abs=1e-3),
    }
    polled = (await admin("GET", "/vens"))[0]
    assert polled["poll_count"] >= 3
    assert polled["last_poll_at"] > polled["registered_at"]


async def test_modification_and_cancel_reach_the_ven(vtn, ven, admin):
    """A modified event arrives with modificationNumber 1; a cancel arrives as status cancelled, number 2."""
    created = await admin(
        "POST",
        "/events",
        {"signal": "SIMPLE", "start": "+1h", "intervals": [{"duration": "1h", "value": 1}]},
        status=201,
    )
    event_id = created["event_id"]
    await until(lambda: _true(ven.events))
    modified = await admin("PATCH", f"/events/{event_id}", {"intervals": [{"duration": "1h", "value": 2}]})
    assert modified["modification_number"] == 1
    await until(lambda: _true(ven.updates))
    assert ven.updates[0]["event_descriptor"]["modification_number"] == 1
    assert ven.updates[0]["event_signals"][0]["intervals"][0]["signal_payload"] == 2.0
    cancelled = await admin("DELETE", f"/events/{event_id}")
    assert (cancelled["status"], cancelled["modification_number"]) == ("cancelled", 2)
    await until(lambda: _true(len(ven.updates) == 2))
    assert ven.updates[1]["event_descriptor"]["event_status"] == "cancelled"
    assert ven.updates[1]["event_descriptor"]["modification_number"] == 2

    async def answered_cancel() -> bool:
        shown = await admin("GET", f"/events/{event_id}")
        return shown["vens"][0]["opt_modification_number"] == 2

    await until(answered_cancel)
    await admin("DELETE", f"/events/{event_id}", status=409)


async def test_opt_service_records_create_opt(vtn, ven, admin):
    """oadrCreateOpt (a 404 on stock openleadr VTNs) is answered and recorded as the VEN's opt answer."""
    created = await admin(
        "POST",
        "/events",
        {"signal": "ELECTRICITY_PRICE", "start": "+1h", "intervals": [{"duration": "1h", "value": 0.31}]},
        status=201,
    )
    event_id = created["event_id"]
    await until(lambda: _true(ven.events))
    await ven.client.create_opt(
        "optOut", "economic", [{"ven_id": ven.client.ven_id}], event_id=event_id, modification_number=0
    )

    async def opted_out() -> bool:
        shown = await admin("GET", f"/events/{event_id}")
        return shown["vens"][0]["opt"] == "optOut" and shown["vens"][0]["opt_via"] == "oadrCreateOpt"

    await until(opted_out)


async def _true(value: Any) -> bool:
    return bool(value)
