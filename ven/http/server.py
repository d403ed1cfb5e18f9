"""aiohttp server at `http.listen`: the dashboard (GET /), its JSON and live stream, /status and /metrics.

Everything is built from a read-only `StatusView`; the only writes are the routes the caller adds (the
running VEN's owner opt-outs, ven.http.optout). Metrics live in a
CollectorRegistry of this server alone (never prometheus-client's global one), read at scrape time.
Routes: GET / (the page), /static/<file>, /status, /metrics, /api/dashboard (one snapshot with a page
of the EV table: ?site=&q=&sort=&at_risk=&offset=&limit=) and /api/stream (the same, as server-sent
events: a `snapshot` after every change, a `tick` in between).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, get_args

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from ven.http.assets import Assets, folder, is_public
from ven.http.auth import access_middlewares
from ven.http.fleetview import SORTS, EvQuery, Sort
from ven.http.stream import Watcher, serve_stream
from ven.storage import StorageUnavailableError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ven.http.view import StatusView

_GAUGES = {
    "usage_kw": "Measured fleet power (kW, + charging)",
    "baseline_kw": "Fleet contract baseline now (kW)",
    "delta_usage_kw": "Reduction versus the baseline (kW)",
    "plugged_in_evs": "EVs plugged in",
    "online_chargers": "Chargers online",
    "stored_energy_kwh": "Energy stored in plugged-in EVs (kWh)",
    "known_events": "Events in the event book",
    "dispatching": "1 while an event is being dispatched",
    "dispatch_steps": "Dispatch steps since start",
    "vtn_link_up": "1 while the last oadrPoll got an answer",
    "telemetry_unreported": "Telemetry samples the VTN does not have yet",
    "storage_unavailable": "1 while the database cannot be reached (writes are buffered)",
    "storage_buffered_writes": "Writes waiting for the database to come back",
    "storage_writes": "Write statements to the database since start",
    "control_step_seconds": "Wall time of the latest control step (read, plan, apply)",
}


class _Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.gauges = {
            name: Gauge(f"ven_{name}", text, registry=self.registry) for name, text in _GAUGES.items()
        }

    def render(self, values: dict[str, float]) -> bytes:
        for name, value in values.items():
            self.gauges[name].set(value)
        return bytes(generate_latest(self.registry))


class BadQueryError(ValueError):
    pass


def ev_query(request: web.Request) -> EvQuery:
    """The EV table's filter and page from the query string; BadQueryError naming the parameter."""
    query = request.query
    sort = query.get("sort", "ev_id")
    if sort not in SORTS:
        raise BadQueryError(f"sort: one of {', '.join(get_args(Sort))}")
    numbers = {}
    for name, default in (("offset", 0), ("limit", 50)):
        try:
            numbers[name] = int(query.get(name, str(default)))
        except ValueError:
            raise BadQueryError(f"{name}: not an integer") from None
    return EvQuery(
        site=query.get("site") or None,
        q=query.get("q") or None,
        sort=sort,
        at_risk=query.get("at_risk", "") in ("1", "true"),
        offset=numbers["offset"],
        limit=numbers["limit"],
    )


def build_app(
    view: StatusView, token: str | None = None, routes: Callable[[web.Application], None] = lambda _app: None
) -> web.Application:
    """The read-only surface from `view`; `routes` adds the VEN's own write routes (owner opt-outs)."""
    metrics = _Metrics()
    watcher = Watcher(view.marker)
    assets = Assets(folder("ven.http"))

    def query_or_400(request: web.Request) -> EvQuery:
        try:
            return ev_query(request)
        except BadQueryError as err:
            raise web.HTTPBadRequest(
                text=json.dumps({"detail": str(err)}), content_type="application/json"
            ) from None

    async def get_status(_request: web.Request) -> web.Response:
        return web.json_response(view.status())

    async def get_metrics(_request: web.Request) -> web.Response:
        return web.Response(
            body=metrics.render(view.metric_values()), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def get_fleet(_request: web.Request) -> web.Response:
        """Every VEN sharing this VEN's database (`ven fleet status --json`'s shape)."""
        try:
            return web.json_response(await asyncio.to_thread(view.fleet))
        except StorageUnavailableError as err:
            return web.json_response({"error": str(err)}, status=503)

    async def get_dashboard(request: web.Request) -> web.Response:
        body = view.dashboard(query_or_400(request)).model_dump_json()
        return web.json_response(text=body, headers={"Cache-Control": "no-store"})

    async def get_stream(request: web.Request) -> web.StreamResponse:
        query = query_or_400(request)

        def tick() -> str:
            return json.dumps({"time": view.now().isoformat(), "link": view.link().model_dump(mode="json")})

        return await serve_stream(request, watcher, lambda: view.dashboard(query).model_dump_json(), tick)

    app = web.Application(middlewares=access_middlewares(token, is_public))
    assets.add_routes(app, "index.html")
    app.router.add_get("/status", get_status)
    app.router.add_get("/metrics", get_metrics)
    app.router.add_get("/fleet", get_fleet)
    app.router.add_get("/api/dashboard", get_dashboard)
    app.router.add_get("/api/stream", get_stream)
    routes(app)
    app.on_startup.append(watcher.start)
    app.on_shutdown.append(watcher.close)
    return app


async def start_http(
    view: StatusView,
    listen: str,
    token: str | None = None,
    routes: Callable[[web.Application], None] = lambda _app: None,
) -> web.AppRunner:
    """Serve on `listen` ("host:port"; port 0 picks a free one, see `bound_port`)."""
    host, _, port = listen.rpartition(":")
    runner = web.AppRunner(build_app(view, token, routes), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host.strip("[]"), int(port))
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    return runner


def bound_port(runner: web.AppRunner) -> int:
    for address in runner.addresses:
        return int(address[1])
    raise RuntimeError("the HTTP server is not listening")


def dashboard_url(runner: web.AppRunner, host: str) -> str:
    """The page's address, for people: http://HOST:PORT/ (IPv6 hosts bracketed)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{bound_port(runner)}/"
