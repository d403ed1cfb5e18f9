"""The whole demo in one event loop: mock VTN, VEN (time-scaled simulated fleet), one event, end to end.

Time: the VEN runs on its simulated clock (`time_scale` simulated seconds per wall second), which starts
at wall time now. The example fleet describes a summer afternoon; its departures are moved so that the
fleet's afternoon is now. The event is created through the VTN's admin API with an absolute start on the
VEN's clock; the VEN reads dtstart and durations on that clock and stamps its report samples with it,
so the VTN's performance (event intervals vs reading timestamps) is measured in one time frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import aiohttp
import numpy as np

from ven.chargers.simulated import SimulatedFleet
from ven.clock import Clock, SystemClock
from ven.demo import departures, ocpp_stations, quality
from ven.demo.kinds import groups, site_type, vehicle_class
from ven.demo.plumbing import SharedClock, average, ceil, ven_config, vtn_config, wait_text
from ven.demo.progress import Progress
from ven.demo.recorder import FleetTruth, Frame, Recorder
from ven.demo.result import DemoResult, DepartureMark, IntervalRow, Series
from ven.demo.showcase import EXAMPLE_DIR, Showcase, load_showcase
from ven.demo.timeshift import shift_fleet_csv
from ven.errors import V2XError
from ven.http.server import dashboard_url
from ven.model.fleet import Fleet
from ven.runtime.app import VenApp
from vtn_mock.server import RunningVtn, start_vtn

REGISTER_TIMEOUT_S = 20.0
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)


class DemoError(V2XError):
    """The demo could not run to the end (the message says which step)."""


@dataclass(frozen=True)
class Dashboards:
    ven_url: str
    vtn_url: str


# `ven demo --serve`: called with the result while the VTN and the VEN still run; they stop when it returns.
Serve = Callable[[DemoResult, Dashboards], Awaitable[None]]


@dataclass(frozen=True)
class DemoOptions:
    example_dir: Path = EXAMPLE_DIR
    time_scale: float = 200.0
    lead: timedelta = timedelta(minutes=20)  # the fleet file's afternoon starts this long before the event
    min_notice: timedelta = timedelta(minutes=10)  # the event starts at least this long after registration
    frame_every_s: float = 0.2  # wall seconds between recorded frames
    progress_every_s: float = 3.0  # wall seconds between progress lines
    chargers: Literal["simulated", "ocpp"] = "simulated"  # ocpp: real time, stations (ven.demo.ocpp_stations)
    align: timedelta = timedelta(minutes=1)  # the event starts on a multiple of this (VEN clock)
    clock: Clock = field(default_factory=SystemClock)  # "now": the programme day is the next one after it
    protocol: Literal["openadr2b", "openadr3"] = "openadr2b"  # how the VEN speaks to the mock VTN


async def run_demo(
    options: DemoOptions, workdir: Path, progress: Progress, serve: Serve | None = None
) -> DemoResult:
    """Run the showcase event end to end; every server and task is stopped before it returns.
    With `serve`, the VTN (on the VEN's clock) and the VEN (with its dashboard) run on until it returns."""
    began = time.monotonic()
    showcase = load_showcase(options.example_dir, options.clock.now())
    if options.chargers == "ocpp":
        showcase = ocpp_stations.compress(showcase)
    shared = SharedClock(options.clock) if serve is not None else None
    vtn = await start_vtn(vtn_config(workdir), clock=shared or options.clock)
    try:
        url = vtn.openadr3_url if options.protocol == "openadr3" else vtn.openadr_url
        progress(f"mock VTN: {url} (admin {vtn.admin_url})")
        return await _with_vtn(
            options,
            showcase,
            vtn,
            workdir=workdir,
            progress=progress,
            began=began,
            serve=serve,
            shared=shared,
        )
    finally:
        await vtn.stop()


async def _with_vtn(
    options: DemoOptions,
    showcase: Showcase,
    vtn: RunningVtn,
    *,
    workdir: Path,
    progress: Progress,
    began: float,
    serve: Serve | None = None,
    shared: SharedClock | None = None,
) -> DemoResult:
    reference = showcase.start - options.lead  # the moment the example fleet file describes
    shift = options.clock.now() - reference
    fleet_csv = shift_fleet_csv(
        showcase.fleet_csv, shift, reference=reference, timezone=showcase.config.ven.timezone
    )
    fleet_path = workdir / "fleet.csv"
    fleet_path.write_text(fleet_csv, encoding="utf-8")
    if options.protocol == "openadr3":
        # The utility's programme exists before its first event, so the VEN is told its poll interval.
        if vtn.openadr3 is None:
            raise DemoError("the mock VTN serves no OpenADR 3.1")
        vtn.openadr3.programs.for_market_context(showcase.event.market_context)
    config = ven_config(
        showcase.config,
        vtn.openadr3_url if options.protocol == "openadr3" else vtn.openadr_url,
        fleet_path,
        workdir,
        options.time_scale,
        http=serve is not None,
        protocol=options.protocol,
    )
    if options.chargers == "ocpp":
        config = ocpp_stations.configure(config)
    app = VenApp.build(config, clock=options.clock)
    if shared is not None:
        shared.source = app.clock
    progress(
        f"VEN {config.ven.name}: {len(app.fleet)} EVs, policy {config.dispatch.policy}, "
        f"time x{options.time_scale:g}"
    )
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(stop), name="ven")
    swarm: ocpp_stations.StationSwarm | None = None
    try:
        if options.chargers == "ocpp":
            swarm = await ocpp_stations.connect(app, task, progress)
        async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
            truth = swarm or _simulated(app)
            run = _Run(options, showcase, app, vtn, truth, session=session, progress=progress)
            result = await run.execute(shift, task)
        if serve is not None:  # the VEN runs on: its departures are checked on a twin of the fleet
            served = _finish(run, result, app, swarm=swarm, began=began, progress=progress, twin=True)
            await serve(served, _dashboards(app, vtn))
            return served
    finally:
        if swarm is not None:
            await swarm.close()
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(task), 15.0)
    return _finish(run, result, app, swarm=swarm, began=began, progress=progress)


def _finish(
    run: _Run,
    result: dict[str, Any],
    app: VenApp,
    *,
    swarm: ocpp_stations.StationSwarm | None,
    began: float,
    progress: Progress,
    twin: bool = False,
) -> DemoResult:
    note = None
    truth: FleetTruth
    if swarm is None:
        simulated = departures.twin(_simulated(app)) if twin else _simulated(app)
        check = departures.run_and_check(simulated, app.fleet, progress)
        truth = simulated
    else:
        check, note = ocpp_stations.departure_check(app.fleet, swarm, progress)
        truth = swarm
    wall_s = time.monotonic() - began
    extra = {
        "departures": check,
        "wall_s": wall_s,
        "chargers": run.options.chargers,
        "departure_note": note,
        "time_compression": run.showcase.time_compression,
        "departure_marks": _departure_marks(run, app.fleet, truth),
        "metrics": quality.measure(result["intervals"], run.recorder.frames, app.fleet, check),
    }
    return DemoResult(**{**result, **extra})


def _dashboards(app: VenApp, vtn: RunningVtn) -> Dashboards:
    if app.http is None:
        raise DemoError("the VEN's dashboard is not listening")
    return Dashboards(dashboard_url(app.http, "127.0.0.1"), vtn.dashboard_url)


class _Run:
    """One demo run against a started VTN and VEN app."""

    def __init__(
        self,
        options: DemoOptions,
        showcase: Showcase,
        app: VenApp,
        vtn: RunningVtn,
        truth: FleetTruth,
        *,
        session: aiohttp.ClientSession,
        progress: Progress,
    ) -> None:
        self.options, self.showcase, self.app, self.vtn = options, showcase, app, vtn
        self.session, self.progress = session, progress
        self.recorder = Recorder(app, truth)
        self.sites = groups([site_type(ev.site) for ev in app.fleet.evs])
        self.classes = groups([vehicle_class(ev.ev_id) for ev in app.fleet.evs])
        self.start = showcase.start

    async def execute(self, shift: timedelta, task: asyncio.Task[None]) -> dict[str, Any]:
        ven_id = await self._registered(task)
        if self.app.http is not None:
            ven_url = dashboard_url(self.app.http, "127.0.0.1")
            self.progress(f"dashboards: VEN {ven_url} , VTN {self.vtn.dashboard_url}")
        sim_now = self.app.clock.now()
        earliest = ceil(sim_now + self.options.min_notice, self.options.align)
        self.start = max(self.showcase.start + shift, earliest)
        self.progress(
            f"registered as venID {ven_id}; event at {self._program(self.start)} "
            f"(in {wait_text(self.start - sim_now, self.options.time_scale)})"
        )
        event_id = await self._create_event()
        end = self.start + self.showcase.duration
        await self._watch(end + 2 * self.app.config.reports.sampling, task)
        performance = await self._performance(event_id)
        opt = await self._opt(event_id)
        totals = performance["totals"]
        if totals["delivered_kw_avg"] is None or totals["requested_kw_avg"] is None:
            raise DemoError(f"the VTN measured no performance for {event_id}: no readings in the event")
        return {
            "event_id": event_id,
            "ven_name": self.app.config.ven.name,
            "ven_id": ven_id,
            "opt": opt,
            "policy": self.app.config.dispatch.policy,
            "time_scale": self.options.time_scale,
            "evs": len(self.app.fleet),
            "program_day": self.showcase.start.astimezone(self.showcase.timezone).date().isoformat(),
            "requested_kw": float(totals["requested_kw_avg"]),
            "delivered_kw": float(totals["delivered_kw_avg"]),
            "delivered_ratio": totals["delivered_ratio"],
            "measured_kw": average(performance["intervals"], "measured_kw"),
            "intervals": [self._row(i) for i in performance["intervals"]],
            "series": self._series(),
        }

    async def _registered(self, task: asyncio.Task[None]) -> str:
        deadline = time.monotonic() + REGISTER_TIMEOUT_S
        while (registration := self.app.client.registration) is None:
            if task.done():
                task.result()  # the VEN stopped: its error says why
                raise DemoError("the VEN stopped before it registered")
            if time.monotonic() > deadline:
                raise DemoError(f"the VEN did not register with the mock VTN in {REGISTER_TIMEOUT_S:.0f} s")
            await asyncio.sleep(0.05)
        return registration.ven_id

    async def _create_event(self) -> str:
        body = self.showcase.event.model_dump(mode="json", exclude_none=True)
        body.update(ven=self.app.config.ven.name, start=self.start.isoformat())
        async with self.session.post(f"{self.vtn.admin_url}/events", json=body) as response:
            answer = await response.json()
            if response.status != 201:
                raise DemoError(f"the mock VTN refused the event: {answer}")
        event_id = str(answer["event_id"])
        asked = self.showcase.requested_kw
        self.progress(
            f"event {event_id}: LOAD_DISPATCH delta, {len(asked)} intervals, "
            f"{min(asked):,.0f}–{max(asked):,.0f} kW, {self.showcase.duration} ({self._notice()})"
        )
        return event_id

    def _notice(self) -> str:
        factor = self.showcase.time_compression
        return "day-ahead notice" if factor == 1 else f"the scenario's event {factor:g}x shorter, real time"

    async def _watch(self, until: datetime, task: asyncio.Task[None]) -> None:
        next_line = 0.0
        while (frame := self.recorder.take()).ts < until:
            if task.done():
                task.result()
                raise DemoError("the VEN stopped during the event")
            if time.monotonic() >= next_line:
                next_line = time.monotonic() + self.options.progress_every_s
                self._status(frame)
            await asyncio.sleep(self.options.frame_every_s)
        self._status(frame)

    def _status(self, frame: Frame) -> None:
        asked = self.showcase.requested_kw
        index = self._interval(frame.ts)
        where = "before" if frame.ts < self.start else "after"
        label = where if index is None else f"{index + 1}/{len(asked)}"
        requested = None if index is None else asked[index]
        delivered = None if frame.baseline_kw is None else frame.baseline_kw - frame.usage_kw
        socs = self._soc(frame, self.sites)
        self.progress.status(self._program(frame.ts), label, requested, delivered, socs)

    def _interval(self, ts: datetime) -> int | None:
        offset = ts - self.start
        for index, interval in enumerate(self.showcase.event.intervals):
            if timedelta() <= offset < interval.duration:
                return index
            offset -= interval.duration
        return None

    async def _performance(self, event_id: str) -> dict[str, Any]:
        url = f"{self.vtn.admin_url}/events/{event_id}/performance"
        for _ in range(20):  # the last samples may still be on their way
            async with self.session.get(url) as response:
                performance: dict[str, Any] = await response.json()
            if all(i["measured_kw"] is not None for i in performance["intervals"]):
                return performance
            await asyncio.sleep(0.25)
        return performance

    async def _opt(self, event_id: str) -> str | None:
        if self.options.protocol == "openadr3":  # 3.1 has no opt message: what the VEN decided
            view = self.app.book.get(event_id)
            return None if view is None or view.opt is None else view.opt.value
        async with self.session.get(f"{self.vtn.admin_url}/events/{event_id}") as response:
            event = await response.json()
        answers = [v.get("opt") for v in event.get("vens", [])]
        return str(answers[0]) if answers and answers[0] is not None else None

    def _row(self, interval: dict[str, Any]) -> IntervalRow:
        start = datetime.fromisoformat(interval["start"])
        end = datetime.fromisoformat(interval["end"])
        frame = self.recorder.at(end) or self.recorder.frames[-1]
        return IntervalRow(
            start,
            end,
            self.program_dt(start),
            self.program_dt(end),
            interval["requested_kw"],
            interval["baseline_kw"],
            interval["measured_kw"],
            interval["delivered_kw"],
            self._soc(frame, self.sites),
        )

    def _series(self) -> Series:
        frames = self.recorder.frames
        return Series(
            program_times=[self.program_dt(f.ts) for f in frames],
            delivered_kw=[
                None if f.baseline_kw is None or self._interval(f.ts) is None else f.baseline_kw - f.usage_kw
                for f in frames
            ],
            soc_by_class={
                name: [self._soc(f, {name: idx})[name] for f in frames] for name, idx in self.classes.items()
            },
        )

    def _soc(self, frame: Frame, by: dict[str, list[int]]) -> dict[str, float]:
        """Energy-weighted SOC per group: stored energy over capacity."""
        capacity = self.app.fleet.capacity_kwh
        energy = frame.soc * capacity
        return {name: float(energy[idx].sum() / capacity[idx].sum()) for name, idx in by.items()}

    def program_dt(self, ts: datetime) -> datetime:
        """A VEN time mapped onto the program day (local time)."""
        offset = (ts - self.start) * self.showcase.time_compression
        return (self.showcase.start + offset).astimezone(self.showcase.timezone)

    def _program(self, ts: datetime) -> str:
        return self.program_dt(ts).strftime("%H:%M")


def _departure_marks(run: _Run, fleet: Fleet, truth: FleetTruth) -> tuple[DepartureMark, ...]:
    """Every watched EV that has left, with its SOC when it left (a departed EV's SOC no longer changes)."""
    left = departures.watched(fleet) & (fleet.departure_ts <= truth.now().timestamp())
    soc = truth.soc
    return tuple(
        DepartureMark(
            run.program_dt(datetime.fromtimestamp(float(fleet.departure_ts[i]), UTC)),
            fleet.ids[i],
            float(soc[i]),
            float(fleet.departure_soc[i]),
        )
        for i in np.flatnonzero(left)
    )


def _simulated(app: VenApp) -> SimulatedFleet:
    if not isinstance(app.gateway, SimulatedFleet):
        raise DemoError('the demo runs the simulated fleet: set [chargers] backend = "simulated"')
    return app.gateway
