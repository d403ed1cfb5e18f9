"""ven.openadr3.link and reporting against a scripted VTN on 127.0.0.1: reports sent again until taken and
nothing lost, a deleted event's report given up, the webhook's echo and wake-up."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import ClientSession

from tests.openadr3.scripted_vtn import T0, client_for, meta
from ven.clock import ManualClock
from ven.events.answers import Answer
from ven.events.model import Distribution, DrEvent
from ven.openadr3.link import OpenADR3Link
from ven.openadr3.models import Event
from ven.openadr3.reporting import Reporter3
from ven.openadr3.webhook import WebhookReceiver
from ven.telemetry.series import Key, Point, Quantity


class History:
    """Stored fleet telemetry: 1 s samples of usage 30 kW, baseline 50 kW, delta 20 kW."""

    def __init__(self) -> None:
        self.marked: list[datetime] = []

    def points(self, keys: Any, since: datetime, until: datetime) -> list[Point]:
        wanted: set[Key] = set(keys)
        out = []
        at = since
        while at < until:
            for quantity, value in (
                (Quantity.USAGE, 30.0),
                (Quantity.BASELINE, 50.0),
                (Quantity.DELTA_USAGE, 20.0),
            ):
                if ("fleet", quantity) in wanted:
                    out.append(Point(at, "fleet", quantity, value))
            at += timedelta(seconds=1)
        return out

    def mark_reported(self, until: datetime) -> int:
        self.marked.append(until)
        return 0


def an_event(intervals: int = 3) -> dict[str, Any]:
    descriptor = {"readingType": "MEAN", "units": "KW", "aggregate": True}
    return {
        **meta("EVENT", "evt-1"),
        "programID": "p0",
        "intervalPeriod": {"start": T0.isoformat(), "duration": "PT5M"},
        "reportDescriptors": [
            {"payloadType": "USAGE", **descriptor},
            {"payloadType": "BASELINE", **descriptor},
            {"payloadType": "DELTA_USAGE", **descriptor, "units": "W"},
        ],
        "intervals": [
            {"id": k, "payloads": [{"type": "DISPATCH_SETPOINT_RELATIVE", "values": [-20]}]}
            for k in range(intervals)
        ],
    }


async def test_reports_sent_again_until_taken_and_nothing_lost(served):
    """Reports the VTN answers 503 are built anew and sent later, whole: the VTN ends up with every
    complete interval; samples are marked reported only up to what no pending report needs."""
    script, base = served
    script.events = [an_event()]
    clock = ManualClock(T0 - timedelta(minutes=1))
    seen: list[Distribution] = []

    async def on_distribution(distribution: Distribution) -> None:
        seen.append(distribution)

    async def on_event(event: DrEvent) -> Answer:
        return Answer.opt_in()

    history = History()
    link = OpenADR3Link(
        "north",
        client_for(base),
        on_distribution=on_distribution,
        on_event=on_event,
        reporter=Reporter3(history, "north"),
        resources=("depot",),
        clock=clock,
    )
    try:
        assert await link.poll_once()
        assert seen[0].event_ids == ("evt-1",)
        assert await link.send_reports() == 0  # nothing complete yet
        clock.set(T0 + timedelta(minutes=5, seconds=1))
        script.reports_status = [503]
        assert await link.send_reports() == 0
        assert script.reports == {}
        assert history.marked[-1] == T0  # the first interval is still owed
        clock.set(T0 + timedelta(minutes=10, seconds=1))
        assert await link.send_reports() == 1
        (report,) = script.reports.values()
        intervals = report["resources"][0]["intervals"]
        assert [i["id"] for i in intervals] == [0, 1]
        payloads = {p["type"]: p["values"] for p in intervals[0]["payloads"]}
        assert payloads == {"USAGE": [30.0], "BASELINE": [50.0], "DELTA_USAGE": [20000.0]}
        clock.set(T0 + timedelta(minutes=15, seconds=1))
        assert await link.send_reports() == 1
        assert [i["id"] for i in script.reports["rpt-1"]["resources"][0]["intervals"]] == [0, 1, 2]
        assert len(script.reports) == 1  # updated in place (PUT), not posted twice
        assert history.marked[-1] == clock.now()  # nothing owed any more
    finally:
        await link.stop()


async def test_a_deleted_events_report_is_given_up(served):
    """409 (the event is gone) ends that report instead of retrying for ever."""
    script, base = served
    script.events = [an_event(1)]
    clock = ManualClock(T0 + timedelta(minutes=6))

    async def on_distribution(_distribution: Distribution) -> None:
        return None

    async def on_event(_event: DrEvent) -> Answer:
        return Answer.opt_in()

    reporter = Reporter3(History(), "north")
    link = OpenADR3Link(
        "north",
        client_for(base),
        on_distribution=on_distribution,
        on_event=on_event,
        reporter=reporter,
        resources=(),
        clock=clock,
    )
    try:
        await link.poll_once()
        script.reports_status = [409]
        assert await link.send_reports() == 0
        assert reporter.pending == []
    finally:
        await link.stop()


async def test_webhook_answers_the_echo_and_wakes_only_with_our_token():
    """The callback echoes the challenge; a notification without our bearer token is refused and wakes
    nothing; ours for an event wakes the poller."""
    woken: list[int] = []
    receiver = WebhookReceiver("127.0.0.1:0")
    receiver.on_notice = lambda: woken.append(1)
    url = await receiver.start()
    notice = {"objectType": "EVENT", "operation": "CREATE", "object": {}}
    try:
        async with ClientSession() as http:
            async with http.get(url, params={"echo": "abc"}) as resp:
                assert (resp.status, await resp.text()) == (200, "abc")
            async with http.post(url, json=notice, headers={"Authorization": "Bearer forged"}) as resp:
                assert resp.status == 401
            assert woken == []
            auth = {"Authorization": f"Bearer {receiver.bearer_token}"}
            async with http.post(url, json=notice, headers=auth) as resp:
                assert resp.status == 200
            async with http.post(url, json={**notice, "objectType": "REPORT"}, headers=auth) as resp:
                assert resp.status == 200
        assert woken == [1]
    finally:
        await receiver.stop()


class Unreadable(History):
    """A store that answers nothing (the database restarting), or only from `since_ok` on."""

    def __init__(self, since_ok: datetime | None = None) -> None:
        super().__init__()
        self.since_ok = since_ok

    def points(self, keys: Any, since: datetime, until: datetime) -> list[Point]:
        if self.since_ok is None:
            return []
        return super().points(keys, max(since, self.since_ok), until)


def test_reports_wait_for_a_store_that_answers_nothing():
    """While the store answers nothing, no report is built and nothing counts as sent; an interval with no
    samples before one with samples was not measured and is skipped."""
    reporter = Reporter3(Unreadable(), "north")
    reporter.track([Event.model_validate(an_event())])
    (report,) = reporter.pending
    assert reporter.build(report, T0 + timedelta(minutes=11)) is None
    reporter.samples = Unreadable(since_ok=T0 + timedelta(minutes=5))
    built = reporter.build(report, T0 + timedelta(minutes=11))
    assert built is not None
    request, covered = built
    assert covered == 2
    assert [i.id for i in request.resources[0].intervals] == [1]
    assert reporter.overdue(T0 + timedelta(days=1, minutes=16)) == ["evt-1"]


async def test_each_refusal_and_opt_out_is_logged_once(served, caplog: pytest.LogCaptureFixture):
    """An unusable event and an event answered optOut are each logged on the first poll, not on every one;
    the unusable one is still listed in the distribution (so a known event it replaced is not kept)."""
    script, base = served
    script.events = [an_event(1), {**meta("EVENT", "evt-bad"), "programID": "p0", "intervals": "nope"}]
    seen: list[Distribution] = []

    async def on_distribution(distribution: Distribution) -> None:
        seen.append(distribution)

    async def on_event(_event: DrEvent) -> Answer:
        return Answer.opt_out("not this one")

    link = OpenADR3Link(
        "north",
        client_for(base),
        on_distribution=on_distribution,
        on_event=on_event,
        reporter=Reporter3(History(), "north"),
        resources=(),
        clock=ManualClock(T0),
    )
    caplog.set_level(logging.INFO, logger="ven.openadr3.link")
    try:
        assert await link.poll_once()
        assert await link.poll_once()
    finally:
        await link.stop()
    assert seen[-1].event_ids == ("evt-1", "evt-bad")
    assert [e.event_id for e in seen[-1].events] == ["evt-1"]
    messages = [r.getMessage() for r in caplog.records]
    assert sum("evt-bad" in m for m in messages) == 1
    assert sum("not this one" in m for m in messages) == 1
