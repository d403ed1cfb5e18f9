"""Catch-up reporting: fleet samples taken while the VTN was unreachable go out once it is back.

Each sample keeps its own timestamp in the oadrUpdateReport, so the VTN sees the outage filled in; a
sample is marked reported only when the VTN acknowledged the report carrying it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from ven.storage import FLEET_RESOURCE

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from ven.runtime.vtn import ReportRequest
    from ven.storage import Store, TelemetrySample

logger = logging.getLogger(__name__)

_FIELDS = {"fleet.usage": "usage_kw", "fleet.baseline": "baseline_kw", "fleet.deltaUsage": "delta_kw"}


class UsageLink(Protocol):
    link_up: bool

    def usage_report_requests(self) -> list[ReportRequest]: ...

    async def send_usage(
        self, request: ReportRequest, intervals: Sequence[tuple[datetime, str, float]]
    ) -> bool: ...


class BacklogUploader:
    def __init__(self, link: UsageLink, store: Store, batch: int = 500) -> None:
        self._link = link
        self._store = store
        self._batch = batch
        self.sent_samples = 0

    async def upload(self) -> int:
        """Send unreported fleet samples (oldest first, one batch); how many the VTN acknowledged."""
        if not self._link.link_up:
            return 0
        requests = self._link.usage_report_requests()
        if not requests:
            return 0
        samples = self._store.telemetry.unreported(limit=self._batch, resource=FLEET_RESOURCE)
        if not samples:
            return 0
        delivered = True
        for request in requests:
            intervals = _intervals(samples, request.r_ids)
            if intervals:
                delivered = delivered and await self._link.send_usage(request, intervals)
        if not delivered:
            logger.warning("catch-up report of %d samples not acknowledged; will retry", len(samples))
            return 0
        self._store.telemetry.mark_reported(s.id for s in samples if s.id is not None)
        self.sent_samples += len(samples)
        logger.info("reported %d samples kept from a VTN outage", len(samples))
        return len(samples)


def _intervals(samples: Sequence[TelemetrySample], r_ids: Sequence[str]) -> list[tuple[datetime, str, float]]:
    out = []
    for sample in samples:
        for r_id in r_ids:
            field = _FIELDS.get(r_id)
            value = None if field is None else getattr(sample, field)
            if value is not None:
                out.append((sample.ts, r_id, float(value)))
    return out
