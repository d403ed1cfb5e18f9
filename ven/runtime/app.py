"""The VEN application (`ven run`): storage, fleet, gateway, event lifecycle, dispatch, telemetry, VTN link.

`VenApp.build(config)` wires the parts; `run(stop)` serves until `stop` is set, then lets the current
control step finish, persists and returns. Dispatch runs from the database, not from the VTN: a restarted
VEN resumes an active event at once, before (or without) reaching the VTN.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ven.chargers.gateway import KnowsFleet
from ven.clock import Clock, SystemClock
from ven.dispatch.controller import DispatchController
from ven.dispatch.planner import Planner
from ven.errors import InputError, PolicyError
from ven.events import EventBook, LifecycleScheduler
from ven.http.auth import resolve_token
from ven.http.logbook import LogBook
from ven.http.optout import opt_out_routes
from ven.http.server import dashboard_url, start_http
from ven.http.view import StatusView, ViewSettings
from ven.memory import limit_arenas
from ven.model.enrollment import load_fleet
from ven.model.idle import idle_cause
from ven.openadr.reports import ReportSources
from ven.openadr3.convert import own_targets
from ven.runtime.availability import AvailabilityKeeper, KeeperHolds
from ven.runtime.config import unavailability
from ven.runtime.deciders import event_deciders
from ven.runtime.eventflow import EventFlow
from ven.runtime.fleetview import ven_status
from ven.runtime.gateways import charger_gateway
from ven.runtime.keeper import StoreKeeper
from ven.runtime.links import vtn_link
from ven.runtime.outlook import ForecastCache
from ven.runtime.sampling import TelemetryLoop
from ven.runtime.supervisor import Supervisor
from ven.storage import StorageError, StorageUnavailableError, Store, VenNameInUseError
from ven.telemetry.performance import PerformanceTracker
from ven.telemetry.sampler import TelemetrySampler
from ven.telemetry.series import UsageHistory

if TYPE_CHECKING:
    from collections.abc import Callable

    from ven.chargers.gateway import ChargerGateway
    from ven.model.fleet import Fleet
    from ven.runtime.config import VenConfig
    from ven.runtime.link import VtnLink
    from ven.telemetry.sampler import FleetSample

logger = logging.getLogger(__name__)
HTTP_TOKEN_ENV = "VEN_HTTP_TOKEN"  # noqa: S105 (the variable's name, not a secret)


@dataclass
class VenApp:
    config: VenConfig
    store: Store
    fleet: Fleet
    gateway: ChargerGateway
    clock: Clock
    book: EventBook
    controller: DispatchController
    supervisor: Supervisor
    flow: EventFlow
    sampler: TelemetrySampler
    performance: PerformanceTracker
    client: VtnLink
    telemetry: TelemetryLoop
    keeper: StoreKeeper
    status: StatusView  # what the HTTP server shows, read-only
    availability: AvailabilityKeeper
    forecasts: ForecastCache
    http_token: str | None = None
    http: web.AppRunner | None = None
    lifecycle_max_sleep_s: float = 0.5

    @classmethod
    def build(
        cls,
        config: VenConfig,
        *,
        rng: random.Random | None = None,
        clock: Clock | None = None,
        chargers: Callable[[Fleet], ChargerGateway] | None = None,
        lifecycle_max_sleep_s: float = 0.5,
    ) -> VenApp:
        """Every part, ready to run; InputError for a config whose policy, fleet, storage or HTTP settings
        are unusable.

        `clock`: the time the VEN lives in (default the wall clock; `ven run` passes ven.clock.cli_clock());
        a simulated fleet with a time scale runs its own clock from it. `chargers` (a gateway factory, given
        the enrolled fleet) replaces the chargers `[chargers]` configures, on `clock`: `ven season` brings
        its simulated fleet on simulated time. The lifecycle looks at the clock at least every
        `lifecycle_max_sleep_s` (a wall clock may jump).
        """
        if chargers is not None and clock is None:
            raise ValueError("a gateway factory needs the clock the VEN runs on")
        limit_arenas()  # before any worker thread allocates: each would keep an arena of its own resident
        wall = clock or SystemClock()
        fleet = load_fleet(config.fleet.file, now=wall.now(), timezone=config.ven.timezone)
        http_token = _http_token(config)
        dispatch = config.dispatch
        try:
            planner = Planner(dispatch.policy, dispatch.quick_policy, dispatch.quick_budget)
        except PolicyError as err:
            raise InputError(f"dispatch: {err}") from None
        store = _open_store(config, wall)
        if chargers is None:
            gateway, clock = charger_gateway(config.chargers, fleet, wall)
        else:
            gateway, clock = chargers(fleet), wall
        sites = tuple(dict.fromkeys(ev.site for ev in fleet.evs))
        # 3.1 targets are strings the VTN grants: this VEN's venName and its resources (one per site).
        groups = own_targets(config.ven.name, sites) if config.ven.protocol == "openadr3" else frozenset()
        book = EventBook(None, clock, rng or random.Random(), group_ids=groups)  # noqa: S311 - start offsets only
        levels = config.signals.simple.levels
        holds = KeeperHolds()  # filled in below: availability needs the sampler, the sampler its holds
        controller = DispatchController(
            gateway,
            fleet,
            planner,
            store,
            simple_levels=levels,
            margin=dispatch.margin,
            setpoint_ttl=config.setpoint_ttl,
            holds=holds,
        )
        time_scale = config.chargers.time_scale
        supervisor = Supervisor(
            controller, store, clock, control_period=dispatch.control_period, time_scale=time_scale
        )
        # TELEMETRY_USAGE is store and forward: every sample is stored, sent with its own timestamp by the
        # reporting edge, and marked reported only once the VTN acknowledged it (nothing lost in an outage).
        sampler = TelemetrySampler(
            gateway,
            fleet,
            store,
            baseline_kw=controller.baseline_now_kw,
            per_ev=config.reports.per_ev,
            holds=holds,
        )

        def fleet_now() -> Fleet:
            return sampler.state or fleet.rolled(clock.now())

        def reschedule() -> None:
            if supervisor.scheduler:
                supervisor.scheduler.reschedule()

        def changed() -> None:
            reschedule()
            supervisor.wake()

        availability = AvailabilityKeeper(
            unavailability(config),
            store,
            book,
            clock,
            fleet=fleet_now,
            dispatching=lambda: None if controller.executing is None else controller.executing[0],
            on_change=changed,
        )
        holds.keeper = availability
        flow = EventFlow(
            book,
            store,
            clock,
            preview=controller.preview,
            policies=planner,
            deciders=event_deciders(config, availability, fleet_now=fleet_now, clock=clock),
            opt_in_share=dispatch.opt_in_share,
            on_change=reschedule,
        )
        forecasts = ForecastCache(fleet_now, availability, clock)
        sources = ReportSources(
            usage=UsageHistory(store),
            status=sampler.status_log,
            forecast=forecasts.points,
            sites=sites,
            ev_ids=fleet.ids if config.reports.per_ev else (),
            sampling=config.reports.sampling,
        )
        client = vtn_link(config, store, flow, sources=sources, book=book, clock=clock)
        keeper = StoreKeeper(
            store,
            clock,
            config.storage.retention.retention(),
            prune_every=config.storage.prune_every,
            check_every=config.reports.sampling,
            time_scale=time_scale,
        )
        performance = PerformanceTracker(store)

        def publish(now: datetime, sample: FleetSample, requested_kw: float | None) -> None:
            status = ven_status(
                now=now,
                link_up=client.link_up,
                book=book,
                fleet=fleet,
                sample=sample,
                requested_kw=requested_kw,
            )
            store.status.publish(status)

        telemetry = TelemetryLoop(
            sampler,
            performance=performance,
            book=book,
            requested=controller,
            clock=clock,
            period_s=config.reports.sampling.total_seconds() / time_scale,
            on_sample=publish,
        )
        status = StatusView(
            ViewSettings(
                ven_name=config.ven.name,
                vtn_url=config.ven.vtn_url,
                policy=dispatch.policy,
                chargers=config.chargers.backend if chargers is None else "season",
                control_period=dispatch.control_period,
                time_scale=time_scale,
            ),
            clock=clock,
            link=client,
            events=book,
            dispatch=controller,
            sampler=sampler,
            store=store,
            enrolled=fleet,
            fleet=gateway.fleet if isinstance(gateway, KnowsFleet) else lambda: fleet,
            steps=lambda: supervisor.steps,
            logbook=LogBook(clock),
            step_seconds=lambda: supervisor.last_step_s,
        )
        return cls(
            config,
            store,
            fleet,
            gateway,
            clock,
            book,
            controller,
            supervisor,
            flow,
            sampler,
            performance,
            client,
            telemetry,
            keeper,
            status,
            availability,
            forecasts,
            http_token,
            lifecycle_max_sleep_s=lifecycle_max_sleep_s,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set (or a bug surfaces), then shut down cleanly."""
        scheduler = LifecycleScheduler(
            self.book,
            self.clock,
            self.supervisor.on_interval_start,
            self.supervisor.on_event_end,
            self.supervisor.on_status,
            time_scale=self.config.chargers.time_scale,
            max_sleep_s=self.lifecycle_max_sleep_s,
        )
        self.supervisor.scheduler = scheduler
        try:
            await self.gateway.start()
        except OSError as err:  # the OCPP port is taken or not ours to bind
            where = self.config.chargers.ocpp_listen
            reason = err.strerror or err
            raise InputError(f"chargers.ocpp_listen: cannot listen on {where}: {reason}") from None
        if self.config.http.listen:
            try:
                self.http = await start_http(
                    self.status,
                    self.config.http.listen,
                    self.http_token,
                    routes=opt_out_routes(
                        self.store,
                        sites={ev.site for ev in self.fleet.evs},
                        clock=self.clock,
                        wake=self.availability.wake,
                    ),
                )
            except OSError as err:  # the port is taken or not ours to bind
                await self.gateway.close()
                self.store.close()
                where = self.config.http.listen
                raise InputError(f"http.listen: cannot listen on {where}: {err.strerror or err}") from None
            self.status.logbook.attach()
            host = self.config.http.listen.rpartition(":")[0]
            logger.info("dashboard at %s (/status, /metrics beside it)", dashboard_url(self.http, host))
        unsubscribe = self.gateway.subscribe(self.supervisor.on_gateway_event)
        registration = self.client.registration
        self.book.ven_id = None if registration is None else registration.ven_id
        self.flow.restore()
        cause = idle_cause(self.fleet, self.clock.now())
        if cause is not None:
            logger.warning("fleet %s: %s", self.config.fleet.file, cause)
        tasks = [
            asyncio.create_task(coro, name=name)
            for name, coro in (
                ("lifecycle", scheduler.run()),
                ("control", self.supervisor.run()),
                ("sampling", self.telemetry.sample_forever()),
                ("vtn", self._vtn()),
                ("storage", self.keeper.run()),
                ("availability", self.availability.run(self.client, self._opt_period)),
                ("forecast", self._forecasts()),
            )
        ]
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper and not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            await self._shutdown(tasks, stopper, scheduler)
            unsubscribe()

    async def _shutdown(
        self, tasks: list[asyncio.Task[None]], stopper: asyncio.Task[bool], scheduler: LifecycleScheduler
    ) -> None:
        scheduler.stop()
        async with self.supervisor.lock:  # the control step in progress finishes first
            await _cancel_all([*tasks, stopper])
        await self.controller.close()
        if self.http is not None:
            await self.http.cleanup()
            self.status.logbook.detach()
        await self.client.stop()
        await self.gateway.close()
        self.store.close()
        logger.info("stopped")

    async def _vtn(self) -> None:
        registration = await self.client.start()
        self.book.ven_id = registration.ven_id
        self.availability.wake()  # opt schedules go out right after registration
        await self.client.wait()

    async def _forecasts(self) -> None:
        """Keep the offered forecast current (recomputed per quarter hour and on override changes) once
        a report asked for it."""
        period_s = self.config.reports.sampling.total_seconds() / self.config.chargers.time_scale
        await self.forecasts.wanted.wait()
        while True:
            await self.forecasts.refresh()
            await asyncio.sleep(period_s)

    def _opt_period(self) -> timedelta:
        """Overrides and opt schedules are checked once per poll interval (wall time)."""
        registration = self.client.registration
        return timedelta(seconds=1) if registration is None else registration.poll_interval


async def _cancel_all(tasks: list[asyncio.Task[Any]], retry_s: float = 0.5) -> None:
    """Cancel `tasks` and wait for them, cancelling again any that swallowed the cancellation.

    Defence in depth: a task that swallows a cancellation (as Python 3.11's `asyncio.wait_for` can when
    it is cancelled in the same moment its awaitable completes, CPython gh-86296) must not hang shutdown.
    """
    pending = set(tasks)
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=retry_s)
    for task in tasks:  # retrieve outcomes: nothing is left "never retrieved"
        if not task.cancelled():
            task.exception()


def _open_store(config: VenConfig, wall: Clock) -> Store:
    """The store at `storage.url`, holding this VEN's name for the process's life.

    A bad URL or a database that is not ours is bad input (exit 2); a VEN of this name already running
    on the database, or a database that cannot be reached, is not (exit 1): both say so in one line.
    """
    try:
        store = Store.open(config.storage.url, base_dir=config.base_dir, clock=wall, ven_name=config.ven.name)
    except StorageUnavailableError:
        raise
    except StorageError as err:
        raise InputError(f"storage.url: {err}") from None
    try:
        store.claim()
    except (VenNameInUseError, StorageError):
        store.close()
        raise
    return store


def _http_token(config: VenConfig) -> str | None:
    """The bearer token of the HTTP server: required when it listens beyond loopback."""
    listen = config.http.listen
    if not listen:
        return None
    return resolve_token(
        HTTP_TOKEN_ENV,
        config.http.token_file,
        listen.rpartition(":")[0],
        what="http.listen",
        file_setting="[http] token_file",
    )
