"""Measuring and storing telemetry, independent of reporting: a slow or hung VTN costs no sample.

`sample_forever` measures the fleet at fixed instants (start + k·period, so no drift) and stores each
sample and its performance row at once; it never awaits the network. Reports go out from the VEN
client's own report task (ven.openadr.client, reporting): while a report hangs (a VTN that accepts and
never answers holds a request until the socket timeout) the samples keep piling up in the store and go
out, each with the time it was measured, once the VTN answers again. An instant is lost only when the
event loop itself is blocked for a whole period; each such instant is counted and logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from ven.clock import Clock
    from ven.events import EventBook
    from ven.telemetry.performance import PerformanceTracker
    from ven.telemetry.sampler import FleetSample, TelemetrySampler

logger = logging.getLogger(__name__)


class Requested(Protocol):
    def requested_kw(self, event_id: str, interval: int) -> float | None: ...


class TelemetryLoop:
    def __init__(
        self,
        sampler: TelemetrySampler,
        *,
        performance: PerformanceTracker,
        book: EventBook,
        requested: Requested,
        clock: Clock,
        period_s: float,
        on_sample: Callable[[datetime, FleetSample, float | None], None] | None = None,
    ) -> None:
        if period_s <= 0:
            raise ValueError("the sampling period must be positive")
        self._sampler = sampler
        self._performance = performance
        self._book = book
        self._requested = requested
        self._clock = clock
        self._period_s = period_s
        self._on_sample = on_sample
        self.measured = 0  # sampling instants measured and stored
        self.missed = 0  # instants lost because the event loop was blocked for a whole period

    async def sample_forever(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            await self.sample_once()
            next_at += self._period_s
            skipped = 0
            while loop.time() >= next_at + self._period_s:  # that instant's window has passed
                next_at += self._period_s
                skipped += 1
            if skipped:
                self.missed += skipped
                logger.warning("%d sampling instants lost: the event loop was blocked", skipped)
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    async def sample_once(self) -> None:
        """Measure the fleet now, store the sample and its performance row."""
        now = self._clock.now()
        sample = await self._sampler.sample(now)
        interval = self._book.current_interval(now)
        requested = (
            None if interval is None else self._requested.requested_kw(interval.view.event_id, interval.index)
        )
        self._performance.record(sample, interval, requested)
        if self._on_sample is not None:  # e.g. the VEN's row in the fleet view
            self._on_sample(now, sample, requested)
        self.measured += 1
