"""`vtn-mock serve`: the OpenADR endpoint, the admin API and an optional scenario, in one event loop."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from ven.clock import Clock, SystemClock, cli_clock
from ven.errors import InputError
from ven.http.auth import resolve_token
from vtn_mock.admin.app import build_admin_app
from vtn_mock.config import TOKEN_ENV, RetentionSection, VtnConfig
from vtn_mock.core import Enrollment, VtnCore
from vtn_mock.openadr3.app import PREFIX as OPENADR3_PREFIX
from vtn_mock.openadr3.app import build_openadr3_app
from vtn_mock.openadr3.auth import OAuthClient, resolve_clients
from vtn_mock.openadr3.service import Service as OpenADR3Service
from vtn_mock.openadr_server import PATH_PREFIX, OpenADREndpoint, server_ssl_context
from vtn_mock.scenario import PlannedEvent, load_scenario, run_scenario, schedule, upcoming, warn_if_idle
from vtn_mock.store import Store

logger = logging.getLogger("vtn_mock")
MAX_LINE_BYTES = 65_536


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def admin_token(config: VtnConfig) -> str | None:
    """The admin bearer token (environment first, then token_file); required beyond loopback."""
    return resolve_token(
        TOKEN_ENV,
        config.admin.token_file,
        config.admin.host,
        what="the admin API",
        file_setting="[admin] token_file",
    )


@dataclass
class RunningVtn:
    """A started mock VTN; `stop()` shuts both ports and the store."""

    core: VtnCore
    openadr_url: str
    admin_url: str
    runners: tuple[web.AppRunner, ...]
    scenario_task: asyncio.Task[None] | None
    prune_task: asyncio.Task[None] | None = None
    openadr3_url: str = ""
    openadr3: OpenADR3Service | None = None

    @property
    def dashboard_url(self) -> str:
        """The dashboard: GET / of the admin address."""
        return self.admin_url.removesuffix("api")

    async def stop(self) -> None:
        for task in (self.scenario_task, self.prune_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self.openadr3 is not None:
            await self.openadr3.close()
        for runner in self.runners:
            await runner.cleanup()
        self.core.store.close()


async def _site(
    app: web.Application, host: str, port: int, what: str, ssl_context: object = None
) -> tuple[web.AppRunner, int]:
    # 3.1 queries repeat `targets`: request lines and headers up to 64 KiB reach the app (aiohttp: 8 KiB).
    runner = web.AppRunner(app, access_log=None, max_line_size=MAX_LINE_BYTES, max_field_size=MAX_LINE_BYTES)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)  # type: ignore[arg-type]
    try:
        await site.start()
    except OSError as err:  # the port is taken, or the address is not ours
        await runner.cleanup()
        raise InputError(f"{what}: cannot listen on {host}:{port}: {err.strerror or err}") from None
    bound = runner.addresses[0][1]
    return runner, int(bound)


async def start_vtn(
    config: VtnConfig,
    scenario: list[PlannedEvent] | None = None,
    clock: Clock | None = None,
    oauth_clients: list[OAuthClient] | None = None,
    *,
    admin: bool = True,
) -> RunningVtn:
    """The mock VTN on its ports. `admin=False`: the OpenADR port only, no admin API and no dashboard (whose
    watcher looks for changes twice a second: `ven season` runs on simulated time and reads the core)."""
    token = admin_token(config)
    try:
        clients = resolve_clients(oauth_clients or [], config.vtn.host)
    except ValueError as err:
        raise InputError(str(err)) from None
    enrollment = Enrollment(
        mode=config.enrollment.mode,
        fingerprints=tuple((v.name, v.fingerprint) for v in config.enrollment.vens),
        ven_ids=tuple((v.name, v.ven_id) for v in config.enrollment.vens if v.ven_id),
    )
    core = VtnCore(
        Store(config.vtn.database),
        clock or SystemClock(),
        new_id,
        enrollment,
        report_sampling=config.vtn.report_sampling,
        report_back_duration=config.vtn.report_back_duration,
        respect_opt_outs=config.vtn.respect_opt_outs,
        status_sampling=config.vtn.status_sampling,
        request_forecast=config.vtn.request_forecast,
        request_status=config.vtn.request_status,
    )
    endpoint = OpenADREndpoint(
        core,
        config.vtn.vtn_id,
        config.vtn.poll_interval,
        config.tls,
        max_body_bytes=config.vtn.max_body_bytes,
    )
    context = server_ssl_context(config.tls, config.enrollment.mode == "enrolled") if config.tls else None
    openadr_app = endpoint.build_app()
    openadr3 = OpenADR3Service(core, clients, new_id, config.vtn.poll_interval)
    openadr_app.add_subapp(OPENADR3_PREFIX, build_openadr3_app(openadr3))
    oadr_runner, oadr_port = await _site(
        openadr_app, config.vtn.host, config.vtn.port, "OpenADR port (--port)", context
    )
    runners = [oadr_runner]
    admin_url = ""
    if admin:
        try:
            admin_runner, admin_port = await _site(
                build_admin_app(core, token, config.vtn.poll_interval),
                config.admin.host,
                config.admin.port,
                "admin port (--admin-port)",
            )
        except InputError:
            await oadr_runner.cleanup()
            raise
        runners.append(admin_runner)
        admin_url = f"http://{config.admin.host}:{admin_port}/api"
    task = None
    if scenario:
        schedule(core, scenario)  # listed (pending) from start-up, before anyone can ask
        task = asyncio.get_running_loop().create_task(run_scenario(core, scenario))
    scheme = "https" if context else "http"
    openadr3.base_url = f"{scheme}://{config.vtn.host}:{oadr_port}{OPENADR3_PREFIX}"
    return RunningVtn(
        core,
        f"{scheme}://{config.vtn.host}:{oadr_port}{PATH_PREFIX}",
        admin_url,
        tuple(runners),
        task,
        asyncio.get_running_loop().create_task(_prune(core, config.retention, openadr3)),
        openadr3_url=openadr3.base_url,
        openadr3=openadr3,
    )


async def _prune(core: VtnCore, retention: RetentionSection, openadr3: OpenADR3Service) -> None:
    """Every `prune_every`: readings, 3.1 reports and registration history past their retention go."""
    while True:
        now = core.clock.now()
        gone = core.store.prune(now - retention.readings, now - retention.registrations)
        gone += openadr3.prune_reports(now - retention.readings)
        if gone:
            logger.info("pruned %d old readings, reports and registration records", gone)
        await asyncio.sleep(retention.prune_every.total_seconds())


async def serve(
    config: VtnConfig,
    scenario_path: Path | None,
    announce: Callable[[str], None],
    oauth_clients: list[OAuthClient] | None = None,
) -> None:
    """Run until SIGINT/SIGTERM; announces one JSON line with the URLs once listening."""
    clock = cli_clock()
    scenario = load_scenario(scenario_path, clock.now()) if scenario_path else None
    if scenario_path is not None:
        idle = warn_if_idle(scenario_path, scenario or [], clock.now())
        if idle is not None:
            logger.warning(idle)
    vtn = await start_vtn(config, scenario, clock, oauth_clients)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    announce(
        json.dumps(
            {
                "ready": True,
                "openadr_url": vtn.openadr_url,
                "admin_url": vtn.admin_url,
                "openadr3_url": vtn.openadr3_url,
                "dashboard_url": vtn.dashboard_url,
                "vtn_id": config.vtn.vtn_id,
                "enrollment": config.enrollment.mode,
                "scenario_events": len(upcoming(scenario or [], clock.now())),
            }
        )
    )
    try:
        await stop.wait()
    finally:
        await vtn.stop()
        logger.info("vtn-mock stopped")
