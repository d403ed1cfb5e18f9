"""The mock VTN's dashboard at GET / of the admin address: VENs and their link, events, answers, performance.

The page reads and writes through the admin API itself (create, modify, cancel are the API's own POST,
PATCH and DELETE); this module adds only the page, its files and GET /api/stream (server-sent events: a
`snapshot` of VENs, events, the opt schedules VENs sent and the performance of the event the page shows,
`?event=ID`, after every change). A VEN's link is judged by wall time since its poll count last moved, so
it stays right when the VTN runs on a simulated clock (as in `ven demo`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web
from pydantic import BaseModel

from ven.http.assets import Assets, folder
from ven.http.stream import Watcher, serve_stream
from vtn_mock.admin.responses import (
    EventOut,
    OptScheduleOut,
    PerformanceOut,
    VenOut,
    event_out,
    opt_schedule_out,
    performance_out,
    ven_out,
)
from vtn_mock.core import VtnCore
from vtn_mock.events import SIGNAL_TYPES
from vtn_mock.performance import event_performance
from vtn_mock.store import VenRecord

FINISHED_SHOWN = 20  # completed and cancelled events listed beside every open one
CANCELLED_OPTS_SHOWN = 20  # cancelled opt schedules listed beside every live one
SILENT_AFTER = 3  # poll intervals without a poll before a VEN's link shows as silent


class VenLink(VenOut):
    link: str  # polling, silent, waiting (no poll seen since the page's server started), unregistered
    last_poll_age_s: float | None  # wall seconds since a poll was last seen


class VtnDashboard(BaseModel):
    time: datetime
    poll_interval_s: float
    signal_types: dict[str, tuple[str, ...]]  # the signal types the admin API accepts, per signal
    vens: list[VenLink]
    events: list[EventOut]
    opts: list[OptScheduleOut]  # live schedules and the latest cancelled ones, newest first
    event_id: str | None  # the event whose performance is included
    performance: PerformanceOut | None


@dataclass
class LinkWatch:
    """When each VEN's poll count last moved, in wall time (time.monotonic); None: not seen to move."""

    seen: dict[str, tuple[int, float | None]] = field(default_factory=dict)

    def observe(self, core: VtnCore) -> None:
        now = time.monotonic()
        for ven in core.vens():
            known = self.seen.get(ven.ven_id)
            if known is None:
                self.seen[ven.ven_id] = (ven.poll_count, None)  # its polls so far were not timed by us
            elif known[0] != ven.poll_count:
                self.seen[ven.ven_id] = (ven.poll_count, now)

    def age_s(self, ven_id: str) -> float | None:
        at = self.seen.get(ven_id, (0, None))[1]
        return None if at is None else time.monotonic() - at


class VtnView:
    def __init__(self, core: VtnCore, poll_interval: timedelta) -> None:
        self._core = core
        self._poll_s = poll_interval.total_seconds()
        self._links = LinkWatch()

    def marker(self) -> tuple[object, ...]:
        core = self._core
        self._links.observe(core)
        now = core.clock.now()
        return (
            tuple(
                (v.ven_id, v.registration_id, self._link(v.ven_id, v.registration_id)) for v in core.vens()
            ),
            tuple((e.event_id, e.modification_number, e.status(now)) for e in core.events()),
            core.store.activity_mark(),
        )

    def poll_age_s(self, ven_id: str) -> float | None:
        return self._links.age_s(ven_id)

    def _link(self, ven_id: str, registration_id: str | None) -> str:
        if registration_id is None:
            return "unregistered"
        age = self._links.age_s(ven_id)
        if age is None:
            return "waiting"
        return "polling" if age <= SILENT_AFTER * self._poll_s else "silent"

    def snapshot(self, event_id: str | None) -> VtnDashboard:
        core = self._core
        now = core.clock.now()
        vens = core.vens()
        by_id = {v.ven_id: v for v in vens}
        events = sorted(core.events(), key=lambda e: (e.spec.start, e.event_id), reverse=True)
        finished = [e.event_id for e in events if e.status(now) in ("completed", "cancelled")]
        hidden = set(finished[FINISHED_SHOWN:])
        shown = [e for e in events if e.event_id not in hidden]
        store = core.store
        performance = None
        if event_id is not None and any(e.event_id == event_id for e in events):
            names = {v.ven_id: v.ven_name for v in vens}
            performance = performance_out(event_performance(core.event(event_id), store, names))
        return VtnDashboard(
            time=now,
            poll_interval_s=self._poll_s,
            signal_types=SIGNAL_TYPES,
            vens=[
                VenLink(
                    **ven_out(v).model_dump(),
                    link=self._link(v.ven_id, v.registration_id),
                    last_poll_age_s=self._links.age_s(v.ven_id),
                )
                for v in vens
            ],
            events=[
                event_out(e, now, by_id, store.latest_opts(e.event_id), store.deliveries(e.event_id))
                for e in shown
            ],
            opts=self._opts(by_id),
            event_id=event_id if performance is not None else None,
            performance=performance,
        )

    def _opts(self, vens: dict[str, VenRecord]) -> list[OptScheduleOut]:
        newest = sorted(self._core.opt_schedules(), key=lambda o: o.created_at, reverse=True)
        hidden = {(o.ven_id, o.opt_id) for o in [o for o in newest if not o.live][CANCELLED_OPTS_SHOWN:]}
        return [opt_schedule_out(o, vens) for o in newest if (o.ven_id, o.opt_id) not in hidden]


def add_dashboard(app: web.Application, core: VtnCore, poll_interval: timedelta) -> None:
    """GET / (the page), /static/<file> and GET /api/stream on the admin app."""
    view = VtnView(core, poll_interval)
    watcher = Watcher(view.marker)
    Assets(folder("ven.http"), folder("vtn_mock.admin")).add_routes(app, "vtn.html")

    async def stream(request: web.Request) -> web.StreamResponse:
        event_id = request.query.get("event") or None

        def tick() -> str:
            ages = {v.ven_id: view.poll_age_s(v.ven_id) for v in core.vens()}
            return json.dumps({"time": core.clock.now().isoformat(), "last_poll_age_s": ages})

        return await serve_stream(request, watcher, lambda: view.snapshot(event_id).model_dump_json(), tick)

    app.router.add_get("/api/stream", stream)
    app.on_startup.append(watcher.start)
    app.on_shutdown.append(watcher.close)
