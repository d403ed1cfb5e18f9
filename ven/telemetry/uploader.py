"""Store-and-forward TELEMETRY_USAGE: stored samples go to the VTN with their own timestamps.

Every sample the sampler stores is unreported until a report carrying it is acknowledged by the VTN, so
samples taken while the VTN was unreachable go out once it is back and none are lost in between.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from ven.openadr.reports import USAGE_REPORT, ReportReading, ReportRequest
from ven.storage import FLEET_RESOURCE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ven.storage import Store, TelemetrySample

logger = logging.getLogger(__name__)

# Fleet r_ids (ven.openadr.reports) and the sample field each one carries; per-EV r_ids are `<ev_id>.usage`.
_FLEET_FIELDS = {"fleet.usage": "usage_kw", "fleet.baseline": "baseline_kw", "fleet.deltaUsage": "delta_kw"}
_EV_SUFFIX = ".usage"


class ReportLink(Protocol):
    @property
    def link_up(self) -> bool: ...

    def report_requests(self, report_specifier_id: str) -> list[ReportRequest]: ...

    async def send_report(self, request: ReportRequest, readings: Sequence[ReportReading]) -> bool: ...


class BacklogUploader:
    def __init__(self, link: ReportLink, store: Store, batch: int = 500) -> None:
        self._link = link
        self._store = store
        self._batch = batch
        self.sent_samples = 0

    async def upload(self) -> int:
        """Send the oldest unreported samples (fleet first, then per EV); how many the VTN acknowledged."""
        if not self._link.link_up:
            return 0
        requests = self._link.report_requests(USAGE_REPORT)
        if not requests:
            return 0
        sent = await self._send(
            requests, self._store.telemetry.unreported(limit=self._batch, resource=FLEET_RESOURCE)
        )
        if sent or not self._store.telemetry.unreported(limit=1, resource=FLEET_RESOURCE):
            per_ev = [
                s
                for s in self._store.telemetry.unreported(limit=self._batch * 20)
                if s.resource != FLEET_RESOURCE
            ]
            sent += await self._send(requests, per_ev)
        return sent

    async def _send(self, requests: Sequence[ReportRequest], samples: Sequence[TelemetrySample]) -> int:
        """Samples nobody requested are no longer owed; the rest count once every request acknowledged."""
        if not samples:
            return 0
        for request in requests:
            readings = _readings(samples, request.r_ids)
            if readings and not await self._link.send_report(request, readings):
                logger.warning("usage report of %d samples not acknowledged; will retry", len(samples))
                return 0
        self._store.telemetry.mark_reported(s.id for s in samples if s.id is not None)
        self.sent_samples += len(samples)
        return len(samples)


def _readings(samples: Sequence[TelemetrySample], r_ids: Sequence[str]) -> list[ReportReading]:
    wanted = set(r_ids)
    out: list[ReportReading] = []
    for sample in samples:
        if sample.resource == FLEET_RESOURCE:
            for r_id, field in _FLEET_FIELDS.items():
                value = getattr(sample, field)
                if r_id in wanted and value is not None:
                    out.append((sample.ts, r_id, float(value)))
        elif f"{sample.resource}{_EV_SUFFIX}" in wanted and sample.usage_kw is not None:
            out.append((sample.ts, f"{sample.resource}{_EV_SUFFIX}", float(sample.usage_kw)))
    return out
