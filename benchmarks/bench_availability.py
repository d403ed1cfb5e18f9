"""Forecast, TELEMETRY_STATUS and reports at fleet scale: `python benchmarks/bench_availability.py`.

10,000 EVs on 100 sites, half school buses with weekday routines (they leave, come back with a known SOC),
half parked cars. Prints the median of 5 runs for: a 24 h flexibility forecast (96 quarter hours, with a
configured window and a site override taken out), one sample's status figures (flexibility over the next
quarter hour and per-site oadrPayloadResourceStatus), and building one TELEMETRY_USAGE report of a 1-hour
backlog at 10 s granularity from the store.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from ven.availability import Override, RecurringWindow, Unavailability, Window
from ven.availability.offer import offered
from ven.chargers.gateway import FleetReading
from ven.feasibility.forecast import floor_to_step
from ven.model.fleet import EV, Fleet
from ven.model.routine import Routine
from ven.openadr.reporting import Reporter, parse_request
from ven.openadr.reports import ReportSources, catalog
from ven.storage import Store, TelemetrySample
from ven.telemetry.sampler import TelemetrySampler
from ven.telemetry.series import StatusLog, UsageHistory

N = 10_000
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 7, 14, 14, 7, tzinfo=UTC)  # a Tuesday, 10:07 in New York: buses out


def fleet() -> Fleet:
    rng = np.random.default_rng(0)
    routine = Routine(NY, day_time(6, 15), frozenset(range(5)), day_time(15, 30), 0.55)
    evs = []
    for i in range(N):
        bus = i % 2 == 0
        evs.append(
            EV(
                f"ev{i:05d}",
                f"site-{i % 100:02d}",
                capacity_kwh=226.0 if bus else 60.0,
                soc=float(rng.uniform(0.3, 0.9)),
                max_charge_kw=60.0 if bus else 11.0,
                max_discharge_kw=60.0 if bus else 10.0,
                min_soc=0.25,
                departure=routine.current_departure(NOW) if bus else None,
                departure_soc=0.9 if bus else 0.8,
                plugged_in=not bus,
                routine=routine if bus else None,
            )
        )
    return Fleet(tuple(evs))


def median_of(runs: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


class _Gateway:
    """Just enough of a gateway for the sampler: a fixed reading."""

    def __init__(self, reading: FleetReading) -> None:
        self._reading = reading

    async def read(self) -> FleetReading:
        return self._reading


def main() -> None:
    evs = fleet()
    unavailability = Unavailability(NY, (RecurringWindow(day_time(22), day_time(23)),))
    overrides = (
        Override(window=Window(NOW + timedelta(hours=8), NOW + timedelta(hours=10)), site="site-07", id=1),
    )
    start = floor_to_step(NOW)
    forecast_s = median_of(5, lambda: offered(evs, start, unavailability, overrides))

    reading = FleetReading(
        NOW,
        evs.ids,
        power_kw=np.where(evs.plugged_in, evs.max_charge_kw, 0.0),
        soc=evs.soc,
        plugged_in=evs.plugged_in,
        online=np.ones(N, dtype=bool),
        setpoint_kw=np.full(N, np.nan),
    )
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'ven.db'}")
        sampler = TelemetrySampler(_Gateway(reading), evs, store, baseline_kw=lambda: None)  # type: ignore[arg-type]
        status_s = median_of(5, lambda: sampler._figures(reading, NOW))  # noqa: SLF001 - the figures alone
        samples = [
            TelemetrySample(NOW - timedelta(seconds=10 * k), "fleet", 100.0 + k, 200.0, 100.0 - k)
            for k in range(360)
        ]
        store.telemetry.add(samples)
        sources = ReportSources(
            UsageHistory(store), StatusLog(), sites=tuple(f"site-{k:02d}" for k in range(100))
        )
        offers = catalog(sources)
        raw = {
            "report_request_id": "rr",
            "report_specifier": {
                "report_specifier_id": "TELEMETRY_USAGE",
                "granularity": timedelta(seconds=10),
                "report_back_duration": timedelta(seconds=10),
                "specifier_payloads": [
                    {"r_id": r} for r in ("fleet.usage", "fleet.baseline", "fleet.deltaUsage")
                ],
            },
        }
        reporter = Reporter(sources, offers)
        reporter.accept(parse_request(raw, offers), NOW)

        def build() -> None:
            reporter._live["rr"].due = NOW  # noqa: SLF001 - build the same backlog each run
            [(_, data)] = reporter.due(NOW + timedelta(seconds=10))
            assert len(data.intervals) == 3 * 360

        report_s = median_of(5, build)
        store.close()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    median = "(median of 5)"
    print(
        f"24 h forecast, {N:,} EVs (half on routines), window + override: {forecast_s * 1e3:.0f} ms {median}"
    )
    print(f"status figures per sample, {N:,} EVs on 100 sites: {status_s * 1e3:.1f} ms {median}")
    print(f"TELEMETRY_USAGE report, 1 h backlog at 10 s (1,080 intervals): {report_s * 1e3:.1f} ms {median}")


if __name__ == "__main__":
    main()
