"""Events the VEN opts out of, next to one it opted in to, over a real openleadr VTN on loopback.

The VTN serves hand-written oadrDistributeEvent XML on every poll and a stock openleadr endpoint takes the
VEN's oadrCreatedEvent: what arrives on the wire is exactly what a utility's VTN could send.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from tests.openadr.conftest import free_port
from tests.waiting import until
from ven.storage import OptAnswer

from .conftest import BASELINE_KW, RecordingVtn, write_config
from .raw_oadr import RawEvent, distribute_event

WAIT = 15.0


class RawVtn(RecordingVtn):
    """Answers every oadrPoll with `distribution` (when set) and acknowledges every oadrCreatedEvent."""

    distribution: bytes | None = None

    def serve(self, *events: RawEvent) -> None:
        self.distribution = distribute_event(*events)

    async def start(self) -> None:
        await super().start()

        async def created_event(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
            self.created_events.append(payload)
            return "oadrResponse", {}

        self.server.services["event_service"].handlers["oadrCreatedEvent"] = created_event

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if self.distribution is not None and request.path.endswith("/OadrPoll"):
            return web.Response(body=self.distribution, content_type="application/xml")
        response: web.StreamResponse = await RecordingVtn._middleware(self, request, handler)
        return response

    def answer(self, event_id: str) -> tuple[str, int] | None:
        found = [(r["opt_type"], r["response_code"]) for r in self.created_for(event_id)]
        return found[-1] if found else None


@pytest.fixture
async def raw_vtn() -> AsyncIterator[RawVtn]:
    server = RawVtn(free_port())
    await server.start()
    yield server
    with contextlib.suppress(Exception):
        await server.stop()


async def test_opted_out_events_never_change_dispatch(
    raw_vtn: RawVtn, tmp_path, start_app, caplog: pytest.LogCaptureFixture
) -> None:
    """An opted-in LOAD_DISPATCH event runs; two higher-priority events arrive: one with a signal the VEN
    does not support (BID_LOAD/setpoint, 460) and one the fleet cannot deliver (the plan's optOut). Both
    are answered optOut, recorded in the store with what decided them, never dispatched: the opted-in
    event keeps the fleet throughout, and no error is logged at any control period."""
    caplog.set_level(logging.INFO)
    running = await start_app(write_config(tmp_path, raw_vtn.url))
    await running.registered()
    app = running.app
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    kept = RawEvent("kept", start, (-20.0,) * 30, priority=2)
    raw_vtn.serve(kept)
    await until(lambda: raw_vtn.answer("kept") is not None, WAIT)
    assert raw_vtn.answer("kept") == ("optIn", 200)
    await until(lambda: app.controller.executing == ("kept", 0), WAIT)

    now = datetime.now(UTC).replace(microsecond=0)
    unsupported = RawEvent("bid", now, (30.0,) * 20, "BID_LOAD", "setpoint", priority=1)
    too_big = RawEvent("huge", now, (-5000.0,) * 20, priority=1)
    raw_vtn.serve(kept, unsupported, too_big)
    await until(lambda: None not in (raw_vtn.answer("bid"), raw_vtn.answer("huge")), WAIT)
    assert raw_vtn.answer("bid") == ("optOut", 460)
    assert raw_vtn.answer("huge") == ("optOut", 200)

    steps = app.supervisor.steps
    await until(lambda: app.supervisor.steps >= steps + 4, WAIT)  # four control periods later
    assert app.controller.executing == ("kept", 0)
    assert app.store.dispatch.for_event("bid") == []
    assert app.store.dispatch.for_event("huge") == []
    reading = await app.gateway.read()
    assert reading.total_power_kw == pytest.approx(BASELINE_KW - 20.0, abs=1.5)
    for event_id, source in (("bid", "unsupported"), ("huge", "policy")):
        record = app.store.events.get(event_id)
        assert record is not None
        assert (record.opt, record.opt_source, record.answered) == (OptAnswer.OPT_OUT, source, True)
    huge = app.store.events.get("huge")
    assert huge is not None
    assert huge.opt_reason is not None
    assert "below the opt-in share 80%" in huge.opt_reason
    assert "cannot be dispatched" not in caplog.text
    assert "releasing" not in caplog.text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert len(raw_vtn.created_for("bid")) == 1  # answered once, though every poll re-sends it
