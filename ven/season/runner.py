"""One policy's season, end to end: the mock VTN calls the programme's events, the VEN answers them.

Both run in one SimulatedTimeLoop (ven.simtime) and talk OpenADR 2.0b over loopback HTTP; the VEN is the
VenApp of `ven run` (event book, opt decisions, closed-loop dispatch, verifier, TELEMETRY_USAGE store and
forward), its chargers the season's simulated fleet (ven.season.gateway). The run starts `lead` before
the programme's first day and goes on past its last until the VTN holds the usage readings of every event
(the VEN sends them once per reportBackDuration), then everything is stopped and the figures collected.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from ven.errors import InputError, V2XError
from ven.runtime.app import VenApp
from ven.season.gateway import SeasonFleet
from ven.season.ledger import EnergyLedger
from ven.season.life import FleetLife, Span, plan_life
from ven.simtime import LoopClock, SimulatedTimeLoop
from ven.storage import StorageError, StorageUnavailableError, Store
from vtn_mock.calendar import CalendarEvent, draw, planned
from vtn_mock.config import AdminSection, VtnConfig
from vtn_mock.config import RetentionSection as VtnRetention
from vtn_mock.config import VtnSection as MockVtnSection
from vtn_mock.performance import EventPerformance, event_performance
from vtn_mock.server import RunningVtn, start_vtn

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from ven.chargers.gateway import ChargerGateway
    from ven.model.fleet import Fleet
    from ven.runtime.config import VenConfig
    from ven.season.config import SeasonConfig
    from ven.storage import EventBaseline, PerformanceRow

logger = logging.getLogger(__name__)

# The VTN's last readings may still be on their way this long after the season (beyond reportBackDuration).
_FLUSH_MARGIN = timedelta(hours=1)
_SETTLED = ("baselines", "performance", "events")  # stored records the season's figures are read from
SEASON_MAX_BODY_BYTES = 64 * 1024 * 1024  # the season's mock VTN (see season_vtn_config)


class SeasonError(V2XError):
    """The season could not run to its end (the message says where it stopped)."""


@dataclass(frozen=True)
class EventRecord:
    """One programme event: as drawn, as the VTN measured it, and the VEN's answer and frozen baseline."""

    drawn: CalendarEvent
    performance: EventPerformance | None  # None: never sent (e.g. no VEN registered)
    opt: str | None
    baseline: EventBaseline | None
    ven_rows: tuple[PerformanceRow, ...] = ()  # the VEN's own view of its delivery, per interval


@dataclass(frozen=True)
class SeasonRun:
    """Everything one policy's season produced; ven.season.results turns it into figures."""

    policy: str
    days: int
    first_day: datetime
    fleet: Fleet
    life: FleetLife
    ledger: EnergyLedger
    events: tuple[EventRecord, ...]
    interval: timedelta  # the programme's event interval (the ledger's columns follow it)
    wall_s: float
    loop_jumps: int


def run_policy(
    season: SeasonConfig,
    ven: VenConfig,
    policy: str,
    *,
    days: int | None,
    workdir: Path,
    progress: Callable[[str], None],
) -> SeasonRun:
    """Run one season with `policy` on a fresh SimulatedTimeLoop (blocks until done). The VEN runs as
    `ven` configures it, with its storage where `season_storage` says, no HTTP status page, and the
    season's chargers; it keeps what the season settles on (baselines, performance, events) at least as
    long as the season lasts, whatever its retention settings."""
    calendar = season.programme
    zone = calendar.timezone
    first = datetime.combine(calendar.first_day, datetime.min.time(), tzinfo=zone)
    total = (calendar.last_day - calendar.first_day).days + 1
    count = total if days is None else min(days, total)
    end = first + timedelta(days=count)
    url, name = season_storage(season, ven, policy, workdir)
    span = season.season.lead + timedelta(days=count) + season.vtn.report_back + _FLUSH_MARGIN
    kept = ven.storage.retention
    ven = ven.model_copy(
        update={
            "ven": ven.ven.model_copy(update={"name": name}),
            "dispatch": ven.dispatch.model_copy(update={"policy": policy}),
            "storage": ven.storage.model_copy(
                update={
                    "url": url,
                    "retention": kept.model_copy(
                        update={key: max(getattr(kept, key), span) for key in _SETTLED}
                    ),
                }
            ),
            "http": ven.http.model_copy(update={"listen": ""}),
        }
    )
    # Half a sampling period off the hour: every usage sample falls inside an event interval, none on the
    # boundary where it would race the interval's first dispatch (a tie only simulated time produces).
    start = first - season.season.lead - ven.reports.sampling / 2
    loop = SimulatedTimeLoop()
    try:
        return loop.run_until_complete(
            _Season(season, ven, workdir=workdir, progress=progress).run(start, first, end, count)
        )
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def season_storage(season: SeasonConfig, ven: VenConfig, policy: str, workdir: Path) -> tuple[str, str]:
    """The database URL and VEN name of one policy's season: `[season] storage` with one VEN per policy
    (`<ven name>-<policy>`), else a temporary SQLite file per policy under the VEN's own name."""
    url = season.season.storage
    if not url:
        return f"sqlite:///{workdir / f'ven-{policy}.sqlite'}", ven.ven.name
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        url = f"sqlite:///{season.base_dir / url.removeprefix('sqlite:///')}"  # from season.toml's folder
    return url, f"{ven.ven.name}-{policy}"


def check_storage(season: SeasonConfig, ven: VenConfig, policies: Sequence[str]) -> None:
    """Before a season into `[season] storage`: InputError if the URL is unusable or the database already
    holds one of the policies' VENs (an earlier season's events would be taken for this one's)."""
    if not season.season.storage:
        return
    url, _ = season_storage(season, ven, policies[0], season.base_dir)
    try:
        store = Store.open(url, base_dir=season.base_dir, ven_name="")
    except StorageUnavailableError:
        raise
    except StorageError as err:
        raise InputError(f"season.storage: {err}") from None
    try:
        present = set(store.fleet.names())
    finally:
        store.close()
    taken = [
        name for p in policies if (name := season_storage(season, ven, p, season.base_dir)[1]) in present
    ]
    if taken:
        raise InputError(
            f"season.storage: {url} already holds VEN {', '.join(taken)} from an earlier season: "
            "give a fresh database"
        )


def season_vtn_config(season: SeasonConfig, database: Path, span: timedelta) -> VtnConfig:
    """The season's mock VTN (its database at `database`): it asks what `[vtn]` says, and keeps every
    reading and registration for the season's `span` (its own 30-day retention would prune the early
    events' readings before the season reads them to settle)."""
    asks = season.vtn
    section = MockVtnSection(
        host="127.0.0.1",
        port=0,
        poll_interval=asks.poll_interval,
        report_sampling=asks.report_sampling,
        report_back_duration=asks.report_back,
        status_sampling=asks.status_sampling,
        request_forecast=False,  # not settled on; rendering and parsing it was 80 % of a season's time
        # Not settled on either. The VEN offers it hourly at most (so 24 intervals x every site a day: 0.7 MB
        # at 40 sites, 7 MB at 440, over the VTN's 1 MB limit: sent in pieces, at a cost, for nothing).
        request_status=False,
        # Both peers are ours: the limit guards a VTN against hostile bodies, and a fleet of thousands of
        # sites registers a report catalog of megabytes (2 MB at 4,440 sites), which a 413 would leave the
        # season without a single reading to settle on.
        max_body_bytes=SEASON_MAX_BODY_BYTES,
        database=str(database),
    )
    kept = VtnRetention()
    retention = VtnRetention(
        readings=max(kept.readings, span),
        registrations=max(kept.registrations, span),
        prune_every=max(kept.prune_every, span),
    )
    return VtnConfig(vtn=section, retention=retention, admin=AdminSection(host="127.0.0.1", port=0))


class _Season:
    def __init__(
        self, season: SeasonConfig, ven: VenConfig, *, workdir: Path, progress: Callable[[str], None]
    ) -> None:
        self.season, self.ven, self.workdir, self.progress = season, ven, workdir, progress
        self.gateway: SeasonFleet | None = None

    async def run(self, start: datetime, first: datetime, end: datetime, days: int) -> SeasonRun:
        began = time.monotonic()
        loop = asyncio.get_running_loop()
        clock = LoopClock(loop, start)
        calendar = self.season.programme
        drawn = [e for e in draw(calendar) if e.end <= end]
        until = end + self.season.vtn.report_back + _FLUSH_MARGIN  # the VTN holds every reading by then
        vtn = await start_vtn(
            season_vtn_config(
                self.season, self.workdir / f"vtn-{self.ven.dispatch.policy}.sqlite", until - start
            ),
            planned(drawn, calendar, self.ven.ven.name),
            clock,
            admin=False,
        )
        try:
            config = self.ven.model_copy(
                update={"ven": self.ven.ven.model_copy(update={"vtn_url": vtn.openadr_url})}
            )
            app = VenApp.build(
                config,
                rng=random.Random(self.season.season.seed),  # noqa: S311 - start randomisation only
                clock=clock,
                chargers=self._chargers(clock, start, end, drawn),
                lifecycle_max_sleep_s=self.season.vtn.poll_interval.total_seconds(),
            )
            gateway = self.gateway
            if gateway is None:
                raise SeasonError("the VEN did not build the season's chargers")
            await self._serve(app, clock, first, end, drawn, days, began)
            events = self._collect(vtn, drawn)
        finally:
            await vtn.stop()
        return SeasonRun(
            policy=config.dispatch.policy,
            days=days,
            first_day=first,
            fleet=app.fleet,
            life=gateway.life,
            ledger=gateway.ledger,
            events=events,
            interval=calendar.interval,
            wall_s=time.monotonic() - began,
            loop_jumps=loop.jumps if isinstance(loop, SimulatedTimeLoop) else 0,
        )

    def _chargers(
        self, clock: LoopClock, start: datetime, end: datetime, drawn: list[CalendarEvent]
    ) -> Callable[[Fleet], ChargerGateway]:
        settings = self.season.season
        calendar = self.season.programme
        span = Span(start, end, calendar.timezone, calendar.holidays, self.season.school, settings.seed)
        intervals = np.array(
            [
                (begin.timestamp(), finish.timestamp())
                for event in drawn
                for begin, finish in event.intervals(calendar.interval)
            ]
        ).reshape(-1, 2)

        def build(fleet: Fleet) -> ChargerGateway:
            life = plan_life(fleet, self.season.life, span)
            initial = life.initial_fleet(fleet)
            ledger = EnergyLedger(
                initial, start.timestamp(), life.first_announced(), life.announced, intervals
            )
            self.gateway = SeasonFleet(fleet, life, ledger, clock, step=settings.step, tick=settings.tick)
            return self.gateway

        return build

    async def _serve(  # noqa: PLR0917 - the app and the season's frame
        self,
        app: VenApp,
        clock: LoopClock,
        first: datetime,
        end: datetime,
        drawn: list[CalendarEvent],
        days: int,
        began: float,
    ) -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(app.run(stop), name="ven")
        every = timedelta(days=1 if days <= 14 else 7)
        mark = first
        until = end + self.season.vtn.report_back + _FLUSH_MARGIN
        try:
            while clock.now() < until:
                wake = mark if mark <= end else until
                await asyncio.sleep(max((wake - clock.now()).total_seconds(), 1.0))
                if task.done():
                    task.result()
                    raise SeasonError(f"the VEN stopped on {clock.now():%Y-%m-%d %H:%M} UTC")
                if mark <= end and clock.now() >= mark:
                    self._report_progress(mark, first, days, drawn, began)
                    mark += every
        finally:
            stop.set()
            await task

    def _report_progress(
        self, now: datetime, first: datetime, days: int, drawn: list[CalendarEvent], began: float
    ) -> None:
        day = (now - first).days
        if day <= 0:
            return
        done = sum(1 for e in drawn if e.end <= now)
        local = (now - timedelta(days=1)).astimezone(self.season.programme.timezone)
        self.progress(
            f"{self.ven.dispatch.policy}: day {day}/{days} ({local:%a %d %b}), "
            f"{done}/{len(drawn)} events, {time.monotonic() - began:.0f} s"
        )

    def _collect(self, vtn: RunningVtn, drawn: list[CalendarEvent]) -> tuple[EventRecord, ...]:
        core = vtn.core
        names = {v.ven_id: v.ven_name for v in core.vens()}
        known = {e.event_id for e in core.events()}
        store = Store.open(self.ven.storage.url, base_dir=self.ven.base_dir, ven_name=self.ven.ven.name)
        try:
            records = []
            for event in drawn:
                if event.event_id not in known:
                    records.append(EventRecord(event, None, None, None))
                    continue
                stored = core.event(event.event_id)
                opts = core.store.latest_opts(event.event_id)
                answer = next(iter(opts.values())).opt_type if opts else None
                records.append(
                    EventRecord(
                        event,
                        event_performance(stored, core.store, names),
                        answer,
                        store.baselines.get(event.event_id),
                        tuple(store.performance.for_event(event.event_id)),
                    )
                )
        finally:
            store.close()
        return tuple(records)
