"""The full report set against a stock openleadr VTN (the peer): reportBackDuration and granularity,
HISTORY_USAGE on request, TELEMETRY_STATUS with oadrPayloadResourceStatus, refusals with their codes.

The client's clock is a ManualClock and its report task never fires on its own (report_tick of an hour):
each test moves the clock and calls `send_due_reports()`, so what is due when is exact.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from openleadr import objects
from openleadr.messaging import validate_xml_schema

from tests.waiting import until
from ven.clock import ManualClock
from ven.openadr import wire
from ven.openadr.client import VenClient
from ven.openadr.reports import ReportSources, status_r_id
from ven.storage import FLEET_RESOURCE, Store, TelemetrySample
from ven.telemetry.series import Point, Quantity, ResourceStatus, StatusLog, StatusSnapshot, UsageHistory

from .conftest import Vtn, make_client

WAIT = 5.0
T0 = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'ven.db'}") as opened:
        yield opened


def add_usage(store: Store, start: datetime, values: list[float], step: timedelta = SECOND) -> None:
    """Fleet samples half a step into each step: `values[k]` at start + (k + 0.5) step."""
    store.telemetry.add(
        TelemetrySample(start + step * k + step / 2, FLEET_RESOURCE, value, value + 10.0, 10.0)
        for k, value in enumerate(values)
    )


def sources(store: Store, log: StatusLog | None = None) -> ReportSources:
    return ReportSources(
        usage=UsageHistory(store), status=log or StatusLog(), sites=("depot-a", "R&D lab"), sampling=SECOND
    )


@pytest.fixture
async def client_for(vtn: Vtn) -> AsyncIterator[Any]:
    """Start a VEN client with given sources on a ManualClock at T0; stopped afterwards."""
    started: list[VenClient] = []

    async def start(reports: ReportSources, clock: ManualClock) -> VenClient:
        client = make_client(vtn.url, reports=reports, clock=clock, report_tick=timedelta(hours=1))
        started.append(client)
        await client.start()
        await until(client.report_requests, WAIT, "the VTN's report requests")
        return client

    yield start
    for client in started:
        await client.stop()


def intervals(update: dict[str, Any]) -> list[tuple[datetime, str, Any]]:
    return [
        (i["dtstart"], i["report_payload"]["r_id"], i["report_payload"].get("value"))
        for report in update["reports"]
        for i in report.get("intervals", [])
    ]


async def test_usage_sent_once_per_report_back_duration_with_every_interval_since(
    vtn: Vtn, store: Store, client_for: Any
) -> None:
    """Granularity 1 s, reportBackDuration 4 s: nothing before 4 s, then one message per 4 s holding the
    four 1-second intervals since the previous one, each r_id's value per interval."""
    vtn.report_request = (SECOND, 4 * SECOND)
    add_usage(store, T0, [float(k) for k in range(12)])
    clock = ManualClock(T0)
    client = await client_for(sources(store), clock)
    assert await client.send_due_reports() == 0
    clock.advance(4 * SECOND)
    assert await client.send_due_reports() == 1
    clock.advance(4 * SECOND)
    assert await client.send_due_reports() == 1
    assert len(vtn.updates) == 2
    first, second = (intervals(u) for u in vtn.updates)
    assert sorted({ts for ts, _, _ in first}) == [T0 + k * SECOND for k in range(4)]
    assert sorted({ts for ts, _, _ in second}) == [T0 + k * SECOND for k in range(4, 8)]
    usage = sorted((ts, v) for ts, r_id, v in first + second if r_id == "fleet.usage")
    assert [v for _, v in usage] == [float(k) for k in range(8)]
    assert len(first) == len(second) == 4 * 3  # fleet.usage, fleet.baseline, fleet.deltaUsage
    assert store.telemetry.count_unreported() == 4  # the VTN has every sample before T0 + 8 s


async def test_granularity_coarser_than_sampling_sends_the_mean(
    vtn: Vtn, store: Store, client_for: Any
) -> None:
    """Granularity 2 s over 1-second samples: each interval carries the mean of its two samples."""
    vtn.report_request = (2 * SECOND, 4 * SECOND)
    add_usage(store, T0, [1.0, 3.0, 5.0, 9.0])
    clock = ManualClock(T0)
    client = await client_for(sources(store), clock)
    clock.advance(4 * SECOND)
    assert await client.send_due_reports() == 1
    usage = sorted((ts, v) for ts, r_id, v in intervals(vtn.updates[0]) if r_id == "fleet.usage")
    assert usage == [(T0, 2.0), (T0 + 2 * SECOND, 7.0)]


async def test_backlog_from_an_outage_goes_out_in_batches(vtn: Vtn, store: Store, client_for: Any) -> None:
    """Samples the VTN never got are sent oldest first, in several messages when they exceed a batch."""
    vtn.report_request = (SECOND, 2 * SECOND)
    add_usage(store, T0 - 10 * SECOND, [float(k) for k in range(10)])
    clock = ManualClock(T0)
    client = await client_for(sources(store), clock)
    client._reporter.batch = 4
    clock.advance(2 * SECOND)
    sent = 0
    async with asyncio.timeout(WAIT):
        while store.telemetry.count_unreported():
            sent += await client.send_due_reports()
    assert sent == 3  # 4 + 4 + 2 seconds
    usage = [v for u in vtn.updates for _, r_id, v in intervals(u) if r_id == "fleet.usage"]
    assert usage == [float(k) for k in range(10)]


async def test_a_report_the_vtn_refuses_as_too_large_goes_out_in_smaller_messages(
    vtn: Vtn, store: Store, client_for: Any
) -> None:
    """A VTN that answers 413 to a long backlog gets it in halves, then quarters..., every interval once
    and in order; not the same refused message again and again."""
    vtn.report_request = (SECOND, 2 * SECOND)
    add_usage(store, T0 - 40 * SECOND, [float(k) for k in range(40)])
    clock = ManualClock(T0)
    client = await client_for(sources(store), clock)
    one_interval = len(vtn.bodies[-1])  # a message of about one interval's size: the registration's
    vtn.max_body_bytes = 8 * one_interval
    clock.advance(2 * SECOND)
    attempts = 0
    async with asyncio.timeout(WAIT):
        while store.telemetry.count_unreported():
            await client.send_due_reports()
            attempts += 1
            assert attempts < 100
    usage = [v for u in vtn.updates for _, r_id, v in intervals(u) if r_id == "fleet.usage"]
    assert usage == [float(k) for k in range(40)]
    assert vtn.too_large >= 1
    assert len(vtn.updates) > 1


async def test_a_report_catalog_over_the_vtns_size_limit_is_an_error_in_the_log(
    vtn: Vtn, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """Thousands of sites make oadrRegisterReport megabytes long; a VTN that refuses it (413) will request
    no reports, and the log says so and why, once."""
    vtn.report_request = (SECOND, 2 * SECOND)
    vtn.max_body_bytes = 20_000  # registration fits; the catalog of 300 sites' status does not
    many = ReportSources(
        usage=UsageHistory(store),
        status=StatusLog(),
        sites=tuple(f"home-{k:03d}" for k in range(300)),
        sampling=SECOND,
    )
    client = make_client(vtn.url, reports=many, clock=ManualClock(T0), report_tick=timedelta(hours=1))
    try:
        await client.start()
        await until(lambda: "oadrRegisterReport not accepted" in caplog.text, WAIT, "the error")
        assert vtn.too_large == 1
        assert "HTTP 413" in caplog.text
        assert client.report_requests() == []
    finally:
        await client.stop()


async def test_history_usage_served_from_the_store_for_a_past_window(
    vtn: Vtn, store: Store, client_for: Any
) -> None:
    """oadrCreateReport for HISTORY_USAGE with a reportInterval: one report of that window at the
    requested granularity, from the store, acknowledged by the stock VTN."""
    add_usage(store, T0 - timedelta(hours=1), [float(k) for k in range(600)], step=6 * SECOND)
    clock = ManualClock(T0)
    vtn.report_request = None
    client = await client_for_history(vtn, client_for, sources(store), clock)
    window = (T0 - timedelta(minutes=30), timedelta(minutes=10))
    request = history_request("hist-1", *window, granularity=timedelta(minutes=1))
    await vtn_sends(vtn, client, [request])
    assert vtn.created_reports[-1]["response"]["response_code"] == 200
    assert await client.send_due_reports() == 1
    usage = sorted((ts, v) for ts, r_id, v in intervals(vtn.updates[-1]) if r_id == "fleet.usage")
    assert [ts for ts, _ in usage] == [window[0] + timedelta(minutes=k) for k in range(10)]
    # Samples k at T0 - 1 h + 6 s·k + 3 s: minute m of the window holds k = 300 + 10 m .. 309 + 10 m.
    assert [v for _, v in usage] == [304.5 + 10 * m for m in range(10)]
    assert vtn.updates[-1]["reports"][0]["report_request_id"] == "hist-1"
    assert await client.send_due_reports() == 0  # once only


async def test_report_requests_the_ven_cannot_serve_get_their_codes(
    vtn: Vtn, store: Store, client_for: Any
) -> None:
    """461 for a report never offered, 452 for an r_id not in it, 454 for a granularity outside the
    offered range or a HISTORY_USAGE without a window; a servable request in the same message is kept."""
    clock = ManualClock(T0)
    client = await client_for_history(vtn, client_for, sources(store), clock)
    cases = {
        461: specifier("rq-461", "HISTORY_GREENBUTTON", ["x"]),
        452: specifier("rq-452", "TELEMETRY_USAGE", ["fleet.nonsense"]),
        454: specifier("rq-454", "TELEMETRY_USAGE", ["fleet.usage"], granularity=timedelta(days=2)),
    }
    for code, request in cases.items():
        await vtn_sends(vtn, client, [request])
        assert vtn.created_reports[-1]["response"]["response_code"] == code
    await vtn_sends(vtn, client, [specifier("rq-ok", "TELEMETRY_USAGE", ["fleet.usage"]), cases[452]])
    answer = vtn.created_reports[-1]
    assert answer["response"]["response_code"] == 452
    assert [p["report_request_id"] for p in answer["pending_reports"]] == ["rq-ok"]
    await vtn_sends(vtn, client, [specifier("rq-hist", "HISTORY_USAGE", ["fleet.usage"])])
    assert vtn.created_reports[-1]["response"]["response_code"] == 454
    assert {r.report_request_id for r in client.report_requests()} >= {"rq-ok"}
    assert not {"rq-461", "rq-452", "rq-454", "rq-hist"} & {
        r.report_request_id for r in client.report_requests()
    }


async def test_telemetry_status_carries_resource_status_per_site_and_fleet(
    vtn: Vtn, store: Store, client_for: Any
) -> None:
    """TELEMETRY_STATUS: an oadrPayloadResourceStatus (online, manual override, load control state) for
    each site and the fleet, which the stock VTN parses."""
    vtn.report_request = (SECOND, 2 * SECOND)
    vtn.request_status = True
    log = StatusLog()
    held = ResourceStatus(True, True, 5.0, 11.0, -20.0, 22.0)
    free = ResourceStatus(True, False, 7.0, 7.0, 0.0, 7.0)
    for k in range(2):
        log.add(
            StatusSnapshot(
                T0 + k * SECOND + SECOND / 2,
                {
                    ("depot-a", Quantity.STATUS): held,
                    ("R&D lab", Quantity.STATUS): free,
                    ("fleet", Quantity.STATUS): held,
                    ("fleet", Quantity.AVAILABLE_REDUCTION): 31.0,
                },
            )
        )
    clock = ManualClock(T0)
    client = await client_for(sources(store, log), clock)
    clock.advance(2 * SECOND)
    await client.send_due_reports()
    status = [u for u in vtn.updates if u["reports"][0]["report_specifier_id"] == "TELEMETRY_STATUS"]
    assert len(status) == 1
    found = {
        i["report_payload"]["r_id"]: i["report_payload"].get("payload_resource_status")
        or i["report_payload"]["value"]
        for i in status[0]["reports"][0]["intervals"]
    }
    assert found[status_r_id("R&D lab")] == {
        "online": True,
        "manual_override": False,
        "load_control_state": {"set_point": {"min": 0.0, "max": 7.0, "current": 7.0, "normal": 7.0}},
    }
    assert found["depot-a.status"]["manual_override"] is True
    assert found["fleet.status"]["load_control_state"]["set_point"]["min"] == -20.0
    assert found["fleet.availableReduction_kW"] == 31.0
    assert len(status[0]["reports"][0]["intervals"]) == 2 * 4  # two seconds of four r_ids with data


# -- the stock VTN sending report requests of its own (oadrCreateReport on a poll) --------------------


def specifier(
    request_id: str, specifier_id: str, r_ids: list[str], granularity: timedelta = SECOND, **extra: Any
) -> objects.ReportRequest:
    return objects.ReportRequest(
        report_request_id=request_id,
        report_specifier=objects.ReportSpecifier(
            report_specifier_id=specifier_id,
            granularity=granularity,
            report_back_duration=extra.pop("back", timedelta(0)),
            specifier_payloads=[objects.SpecifierPayload(r_id=r, reading_type="Direct Read") for r in r_ids],
            **extra,
        ),
    )


def history_request(request_id: str, start: datetime, length: timedelta, granularity: timedelta) -> Any:
    return specifier(
        request_id,
        "HISTORY_USAGE",
        ["fleet.usage", "fleet.baseline"],
        granularity=granularity,
        report_interval={"dtstart": start, "duration": length},
    )


async def client_for_history(
    vtn: Vtn, client_for: Any, reports: ReportSources, clock: ManualClock
) -> VenClient:
    """A client whose VTN requests nothing at registration; it answers report requests from `vtn_sends`."""
    vtn.report_request = (SECOND, SECOND)  # only so the stock VTN keeps a (possibly empty) request list
    vtn.request_status = False
    return await client_for(reports, clock)


async def vtn_sends(vtn: Vtn, client: VenClient, requests: list[Any]) -> None:
    """The stock VTN answers the VEN's next poll with oadrCreateReport; returns once the VEN answered."""
    answered = len(vtn.created_reports)
    vtn.pending_poll = ("oadrCreateReport", {"report_requests": requests})
    await client.poll_once()
    await until(lambda: len(vtn.created_reports) > answered, WAIT, "the VEN's oadrCreatedReport")


async def test_every_message_the_ven_sends_validates_against_the_schema(
    vtn: Vtn, store: Store, client_for: Any
) -> None:
    """A whole session with the stock VTN — registration, reports registered, requested, refused,
    sent and cancelled, an event answered, an opt created and cancelled — every body the VEN posted
    validates against the OpenADR 2.0b schema (the stock VTN checks it too and answers 400 otherwise)."""
    vtn.report_request = (SECOND, 2 * SECOND)
    add_usage(store, T0, [1.0, 2.0])
    clock = ManualClock(T0)
    client = await client_for(sources(store), clock)
    clock.advance(2 * SECOND)
    assert await client.send_due_reports() == 1
    await vtn_sends(vtn, client, [specifier("bad", "HISTORY_GREENBUTTON", ["x"])])
    registration = client.registration
    assert registration is not None
    opted = vtn.add_event(registration.ven_id)
    await client.poll_once()
    assert await asyncio.wait_for(opted, WAIT) == "optIn"
    opt = wire.OptMessage(
        "o1", "optOut", "x-schedule", registration.ven_id, "r1", T0, components=[(T0, SECOND * 3600)]
    )
    assert await client.create_opt(opt)
    assert await client.cancel_opt("o1")
    request_id = client.report_requests()[0].report_request_id
    vtn.pending_poll = (
        "oadrCancelReport",
        {"request_id": "c1", "report_request_id": request_id, "report_to_follow": False},
    )
    posted = len(vtn.bodies)
    await client.poll_once()
    # a due report may be posted beside the poll and the answer: wait for the answer itself
    await until(lambda: any(b"oadrCanceledReport" in body for body in vtn.bodies[posted:]), WAIT)
    kinds = set()
    for body in vtn.bodies:
        tree = validate_xml_schema(body)  # raises on any schema violation
        kinds.add(etree.QName(tree.find(f"{{{wire.OADR}}}oadrSignedObject")[0]).localname)
    assert kinds >= {
        "oadrQueryRegistration",
        "oadrCreatePartyRegistration",
        "oadrRegisterReport",
        "oadrCreatedReport",
        "oadrUpdateReport",
        "oadrRequestEvent",
        "oadrPoll",
        "oadrCreatedEvent",
        "oadrCreateOpt",
        "oadrCancelOpt",
        "oadrCanceledReport",
    }
    assert client.report_requests() == []


async def test_flexibility_forecast_sent_as_a_projection(vtn: Vtn, store: Store, client_for: Any) -> None:
    """The stock VTN requests FLEXIBILITY_FORECAST at 15 minutes, back every hour: the whole projection
    (96 quarter hours per r_id) goes out at once, then again only after an hour."""
    quarter = timedelta(minutes=15)

    def forecast(now: datetime) -> list[Point]:
        start = now.replace(minute=now.minute // 15 * 15, second=0, microsecond=0)
        return [
            Point(start + k * quarter, FLEET_RESOURCE, quantity, value + k, quarter)
            for k in range(96)
            for quantity, value in (
                (Quantity.AVAILABLE_REDUCTION, 100.0),
                (Quantity.ENERGY_ABOVE_RESERVE, 50.0),
            )
        ]

    clock = ManualClock(T0 + timedelta(minutes=7))
    reports = dataclasses.replace(sources(store), forecast=forecast)
    client = await client_for_history(vtn, client_for, reports, clock)
    r_ids = ["forecast.availableReduction_kW", "forecast.energyAboveReserve_kWh"]
    request = specifier("rq-fc", "FLEXIBILITY_FORECAST", r_ids, granularity=quarter, back=timedelta(hours=1))
    await vtn_sends(vtn, client, [request])
    assert vtn.created_reports[-1]["response"]["response_code"] == 200
    assert await client.send_due_reports() == 1
    sent = intervals(vtn.updates[-1])
    assert vtn.updates[-1]["reports"][0]["report_name"] == "x-FLEXIBILITY_FORECAST"
    reduction = sorted((ts, v) for ts, r_id, v in sent if r_id == r_ids[0])
    energy = sorted((ts, v) for ts, r_id, v in sent if r_id == r_ids[1])
    assert [ts for ts, _ in reduction] == [T0 + k * quarter for k in range(96)]
    assert [v for _, v in reduction] == [100.0 + k for k in range(96)]
    assert [v for _, v in energy] == [50.0 + k for k in range(96)]
    clock.advance(timedelta(minutes=59))
    assert await client.send_due_reports() == 0
    clock.advance(timedelta(minutes=1))
    assert await client.send_due_reports() == 1
