"""One `vtn-mock serve` process, one store, two protocols: a stock openleadr 2.0b VEN and a 3.1 VEN client
registered side by side get the same admin-API event, and its performance counts both the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openleadr import enums

from tests.openadr3.spec import SpecChecker, spec_path
from tests.openadr3.test_reports_and_push import report
from tests.vtn_mock.conftest import VtnProcess, start_vtn, stop_vtn
from tests.vtn_mock.test_end_to_end import BASELINE_KW, USAGE_KW, StockVen
from tests.waiting import until

pytestmark = pytest.mark.slow
OPENADR3_USAGE_KW = 600.0
OPENADR3_BASELINE_KW = 800.0


class OpenADR3Ven:
    """A 3.1 VEN over HTTP (loopback default client `ven`); answers checked against the spec when found."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10.0)
        self.checker = SpecChecker(base_url) if spec_path() else None

    async def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        reply = await self.http.request(method, path, json=body)
        if self.checker is not None:
            self.checker.check(
                method,
                str(reply.request.url),
                reply.status_code,
                reply.content,
                reply.headers.get("content-type", "").split(";")[0],
                request_body=reply.request.content or None,
            )
        return reply

    async def login(self) -> None:
        form = {"grant_type": "client_credentials", "client_id": "ven", "client_secret": "ven-secret"}
        token = (await self.http.post("/auth/token", data=form)).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"


@pytest.fixture
def vtn(tmp_path: Path) -> Iterator[VtnProcess]:
    process = start_vtn(tmp_path)
    yield process
    assert stop_vtn(process) == 0


@pytest.fixture
async def ven2b(vtn: VtnProcess, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[StockVen]:
    # openleadr's add_report(scale="k") writes into its shared POWER_REAL object: undone after the test.
    monkeypatch.setattr(enums.MEASUREMENTS.POWER_REAL, "scale", enums.MEASUREMENTS.POWER_REAL.scale)
    stock = StockVen(vtn.openadr_url, name="fleet-a")
    await stock.client.run()
    yield stock
    await stock.client.stop()


@pytest.fixture
async def ven3(vtn: VtnProcess) -> AsyncIterator[OpenADR3Ven]:
    client = OpenADR3Ven(str(vtn.ready["openadr3_url"]))
    await client.login()
    yield client
    await client.http.aclose()


async def test_admin_event_reaches_both_protocols(vtn: VtnProcess, ven2b: StockVen, ven3: OpenADR3Ven):
    """An admin-API event for every VEN reaches the 2.0b and the 3.1 VEN; both reports feed performance."""
    assert str(vtn.ready["openadr3_url"]).endswith("/openadr3/3.1.0")
    registered = await ven3.call("POST", "/vens", {"objectType": "VEN_VEN_REQUEST", "venName": "fleet-b"})
    assert registered.status_code == 201, registered.text
    async with httpx.AsyncClient(base_url=vtn.admin_url, timeout=10.0) as admin:

        async def both_registered() -> bool:
            vens = (await admin.get("/vens")).json()
            return sorted(v["ven_name"] for v in vens if v["registered"]) == ["fleet-a", "fleet-b"]

        await until(both_registered)
        body = {
            "signal": "LOAD_DISPATCH",
            "type": "delta",
            "start": "now",
            "intervals": [{"duration": "PT2S", "value": -500}, {"duration": "2s", "value": -400}],
        }
        created = await admin.post("/events", json=body)  # no "ven": every registered VEN
        assert created.status_code == 201, created.text
        event_id = created.json()["event_id"]

        (seen,) = (await ven3.call("GET", "/events")).json()
        assert seen["id"] == event_id
        assert [i["payloads"] for i in seen["intervals"]] == [
            [{"type": "DISPATCH_SETPOINT_RELATIVE", "values": [-500.0]}],
            [{"type": "DISPATCH_SETPOINT_RELATIVE", "values": [-400.0]}],
        ]
        sent = report(event_id, [OPENADR3_USAGE_KW] * 2, [OPENADR3_BASELINE_KW] * 2, clientName="fleet-b")
        posted = await ven3.call("POST", "/reports", sent)
        assert posted.status_code == 201, posted.text

        async def opted_in() -> bool:
            shown = (await admin.get(f"/events/{event_id}")).json()
            return [v["opt"] for v in shown["vens"] if v["ven_name"] == "fleet-a"] == ["optIn"]

        await until(opted_in)
        assert ven2b.events[0]["event_descriptor"]["event_id"] == event_id
        signal = ven2b.events[0]["event_signals"][0]
        assert [i["signal_payload"] for i in signal["intervals"]] == [-500.0, -400.0]

        async def measured() -> dict[str, Any] | None:
            if (await admin.get(f"/events/{event_id}")).json()["status"] != "completed":
                return None
            found: dict[str, Any] = (await admin.get(f"/events/{event_id}/performance")).json()
            done = all(i["measured_kw"] is not None for v in found["vens"] for i in v["intervals"])
            return found if done else None

        performance = await until(measured, 30.0)
    by_name = {v["ven_name"]: v for v in performance["vens"]}
    assert sorted(by_name) == ["fleet-a", "fleet-b"]
    delivered = {name: [i["delivered_kw"] for i in v["intervals"]] for name, v in by_name.items()}
    assert delivered == {
        "fleet-a": [BASELINE_KW - USAGE_KW] * 2,
        "fleet-b": [OPENADR3_BASELINE_KW - OPENADR3_USAGE_KW] * 2,
    }
    both = BASELINE_KW - USAGE_KW + OPENADR3_BASELINE_KW - OPENADR3_USAGE_KW
    assert [i["delivered_kw"] for i in performance["intervals"]] == [both, both]
    assert [i["requested_kw"] for i in performance["intervals"]] == [1000.0, 800.0]
    if ven3.checker is not None:
        assert ven3.checker.checked == 3
