"""aiohttp server at `http.listen`: GET /status (registration, events, fleet) and GET /metrics.

Metrics live in a CollectorRegistry of this server alone (never prometheus-client's global one), and
are read from the running VEN at scrape time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

if TYPE_CHECKING:
    from ven.runtime.app import VenApp


class _Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        gauges = {
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
        }
        self.gauges = {
            name: Gauge(f"ven_{name}", text, registry=self.registry) for name, text in gauges.items()
        }

    def update(self, ven: VenApp) -> None:
        values: dict[str, float] = {
            "known_events": len(ven.book.views()),
            "dispatching": float(ven.controller.executing is not None),
            "dispatch_steps": ven.supervisor.steps,
            "vtn_link_up": float(ven.client.link_up),
            "telemetry_unreported": ven.store.telemetry.count_unreported(),
        }
        sample = ven.sampler.latest
        if sample is not None:
            values |= {
                "usage_kw": sample.usage_kw,
                "baseline_kw": sample.baseline_kw,
                "delta_usage_kw": sample.delta_kw,
                "stored_energy_kwh": sample.stored_energy_kwh,
            }
            if sample.reading is not None:
                values |= {
                    "plugged_in_evs": sample.reading.plugged_in_count,
                    "online_chargers": sample.reading.online_count,
                }
        for name, value in values.items():
            self.gauges[name].set(value)


def status(ven: VenApp) -> dict[str, Any]:
    now = ven.clock.now()
    registration = ven.client.registration
    sample = ven.sampler.latest
    executing = ven.controller.executing
    return {
        "time": now.isoformat(),
        "ven_name": ven.config.ven.name,
        "registration": None
        if registration is None
        else {
            "ven_id": registration.ven_id,
            "registration_id": registration.registration_id,
            "poll_interval_s": registration.poll_interval.total_seconds(),
        },
        "vtn_link_up": ven.client.link_up,
        "dispatching": None
        if executing is None
        else {"event_id": executing[0], "modification_number": executing[1]},
        "events": [
            {
                "event_id": v.event_id,
                "modification_number": v.modification_number,
                "status": v.status(now).value,
                "opt": None if v.opt is None else v.opt.value,
                "start": v.start.isoformat(),
                "end": None if v.end is None else v.end.isoformat(),
            }
            for v in ven.book.views()
        ],
        "fleet": None
        if sample is None
        else {
            "ts": sample.ts.isoformat(),
            "evs": len(ven.fleet),
            "usage_kw": sample.usage_kw,
            "baseline_kw": sample.baseline_kw,
            "delta_usage_kw": sample.delta_kw,
            "available_reduction_kw": sample.available_reduction_kw,
            "stored_energy_kwh": sample.stored_energy_kwh,
            "plugged_in": None if sample.reading is None else sample.reading.plugged_in_count,
            "online": None if sample.reading is None else sample.reading.online_count,
        },
        "telemetry_unreported": ven.store.telemetry.count_unreported(),
    }


def build_app(ven: VenApp) -> web.Application:
    metrics = _Metrics()

    async def get_status(_request: web.Request) -> web.Response:
        return web.json_response(status(ven))

    async def get_metrics(_request: web.Request) -> web.Response:
        metrics.update(ven)
        return web.Response(
            body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app = web.Application()
    app.router.add_get("/status", get_status)
    app.router.add_get("/metrics", get_metrics)
    return app


async def start_http(ven: VenApp, listen: str) -> web.AppRunner:
    """Serve on `listen` ("host:port"; port 0 picks a free one, see `bound_port`)."""
    host, _, port = listen.rpartition(":")
    runner = web.AppRunner(build_app(ven), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, int(port))
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
