"""3.1 reports: what each event's reportDescriptors ask, built from the same telemetry store the 2.0b
reporter reads, and store and forward.

One report object per event at the VTN (looked up by eventID and clientName, so a restarted VEN updates
its own instead of adding a second): POSTed once the first interval is complete, then PUT whole — every
complete interval so far — each time another completes. A report the VTN did not take (no answer, 5xx) is
simply built and sent again on the next pass: it is a pure function of the stored samples, so an outage
loses no measured interval. Samples are marked reported only when no pending event report still needs
them. An event the VTN deleted (404/409 for its report) is given up, logged.

Supported payload types: USAGE (also DEMAND) and BASELINE (mean kW of the fleet), DELTA_USAGE (baseline −
usage, kW), STORAGE_CHARGE_LEVEL (mean fleet SOC, percent). Units KW/W/MW as the descriptor asks (default
KW). One value per event interval (frequency 1 with SUB_INTERVALS allows it), under the resource
AGGREGATED_REPORT: the fleet is measured as one (a non-aggregate descriptor gets the aggregate too).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ven.openadr3.client import OpenADR3Error, VtnHttpError
from ven.openadr3.models import (
    Event,
    Interval,
    IntervalPeriod,
    ReportPayloadDescriptor,
    ReportRequest,
    ReportResource,
    ValuesMap,
)
from ven.openadr3.timing import Span, format_duration, interval_spans
from ven.telemetry.series import Key, Point, Quantity

logger = logging.getLogger(__name__)

AGGREGATED = "AGGREGATED_REPORT"
FLEET = "fleet"
QUANTITIES = {
    "USAGE": Quantity.USAGE,
    "DEMAND": Quantity.USAGE,
    "BASELINE": Quantity.BASELINE,
    "DELTA_USAGE": Quantity.DELTA_USAGE,
    "STORAGE_CHARGE_LEVEL": Quantity.SOC,
}
POWER_PER_KW = {"KW": 1.0, "W": 1000.0, "MW": 0.001}
GIVE_UP = timedelta(days=1)  # a report still incomplete this long after its event is let go
GONE = (404, 409)  # the event of a report is gone (deleted) at the VTN


class Samples(Protocol):
    """The stored fleet telemetry (ven.telemetry.series.UsageHistory)."""

    def points(self, keys: Collection[Key], since: datetime, until: datetime) -> list[Point]: ...

    def mark_reported(self, until: datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class Asked:
    """One payload type a reportDescriptor asks for, and the unit it wants."""

    payload_type: str
    quantity: Quantity
    units: str


@dataclass
class EventReport:
    """The report owed for one event: its intervals, what is asked, and how far the VTN has it."""

    event_id: str
    spans: tuple[Span, ...]
    asked: tuple[Asked, ...]
    report_id: str | None = None
    sent_intervals: int = 0  # complete intervals the VTN acknowledged
    looked_up: bool = False

    @property
    def end(self) -> datetime:
        return self.spans[-1].end

    @property
    def done(self) -> bool:
        return self.sent_intervals >= len(self.spans)


def asked_of(event: Event) -> tuple[Asked, ...]:
    """The supported payload types an event's reportDescriptors ask for (others are logged once)."""
    out: dict[str, Asked] = {}
    for descriptor in event.report_descriptors or []:
        quantity = QUANTITIES.get(descriptor.payload_type)
        if quantity is None:
            logger.warning("event %s: report %s is not supported", event.id, descriptor.payload_type)
            continue
        default = "PERCENT" if quantity is Quantity.SOC else "KW"
        units = (descriptor.units or default).upper()
        if quantity is not Quantity.SOC and units not in POWER_PER_KW:
            logger.warning(
                "event %s: report %s in %s is not supported", event.id, descriptor.payload_type, units
            )
            continue
        out.setdefault(descriptor.payload_type, Asked(descriptor.payload_type, quantity, units))
    return tuple(out.values())


@dataclass
class Reporter3:
    """The reports owed, built from `samples` and sent through a ReportSink."""

    samples: Samples
    client_name: str
    _reports: dict[str, EventReport] = field(default_factory=dict)

    @property
    def pending(self) -> list[EventReport]:
        return [r for r in self._reports.values() if not r.done]

    def track(self, events: Sequence[Event]) -> None:
        """Owe a report for each listed event that asks for one (a modified event's new intervals count);
        reports done for events no longer listed are let go."""
        listed = {event.id for event in events}
        for event_id in [i for i, r in self._reports.items() if r.done and i not in listed]:
            del self._reports[event_id]
        for event in events:
            asked = asked_of(event)
            spans = tuple(interval_spans(event.interval_period, event.intervals or []))
            if not asked or not spans:
                continue
            known = self._reports.get(event.id)
            if known is None:
                self._reports[event.id] = EventReport(event.id, spans, asked)
            elif known.spans != spans or known.asked != asked:
                known.spans, known.asked, known.sent_intervals = spans, asked, 0

    def build(self, report: EventReport, now: datetime) -> tuple[ReportRequest, int] | None:
        """The whole report of `report`'s complete intervals at `now`, and how many intervals it covers:
        up to the last one with samples (an interval without any before it was not measured; after it, the
        store may just not answer now). None while no complete interval has samples."""
        complete = [s for s in report.spans if s.end <= now]
        if not complete:
            return None
        keys = {(FLEET, a.quantity) for a in report.asked}
        points = self.samples.points(keys, complete[0].start, complete[-1].end)
        intervals: list[Interval] = []
        covered = 0
        for index, span in enumerate(complete):
            payloads = _payloads(report.asked, [p for p in points if span.start <= p.ts < span.end])
            if payloads:
                period = IntervalPeriod(start=span.start, duration=format_duration(span.end - span.start))
                intervals.append(Interval(id=span.interval_id, interval_period=period, payloads=payloads))
                covered = index + 1
        if not intervals:
            return None
        request = ReportRequest(
            event_id=report.event_id,
            client_name=self.client_name,
            report_name=f"v2x-ven {report.event_id}",
            payload_descriptors=[
                ReportPayloadDescriptor(payload_type=a.payload_type, reading_type="MEAN", units=a.units)
                for a in report.asked
            ],
            resources=[ReportResource(resource_name=AGGREGATED, intervals=intervals)],
        )
        return request, covered

    def forget(self, event_id: str) -> None:
        self._reports.pop(event_id, None)

    def overdue(self, now: datetime) -> list[str]:
        """Events whose reports still lack intervals `GIVE_UP` after the event ended (no samples were
        ever taken for them): let go, so the samples before them can be marked reported."""
        return [r.event_id for r in self.pending if now - r.end > GIVE_UP]

    def watermark(self, now: datetime) -> datetime:
        """Samples before this are no longer needed by any pending report."""
        starts = [r.spans[r.sent_intervals].start for r in self.pending]
        return min([now, *starts])


def _payloads(asked: tuple[Asked, ...], points: list[Point]) -> list[ValuesMap]:
    out = []
    for item in asked:
        values = [
            float(p.value) for p in points if p.quantity is item.quantity and isinstance(p.value, float)
        ]
        if not values:
            continue
        mean = sum(values) / len(values)
        scaled = mean * 100.0 if item.quantity is Quantity.SOC else mean * POWER_PER_KW[item.units]
        out.append(ValuesMap(type=item.payload_type, values=[round(scaled, 6)]))
    return out


class ReportSink(Protocol):
    """Where reports go: ven.openadr3.client.Vtn3Client."""

    async def find_report(self, event_id: str, client_name: str) -> str | None: ...

    async def create_report(self, report: ReportRequest) -> str: ...

    async def update_report(self, report_id: str, report: ReportRequest) -> None: ...


async def send_due(reporter: Reporter3, sink: ReportSink, now: datetime) -> tuple[int, bool]:
    """Send every report with newly complete intervals: (how many the VTN took, whether it answered).
    Refused ones stay owed (sent again, whole, next time); those whose event is gone are given up."""
    taken = 0
    for report in reporter.pending:
        built = reporter.build(report, now)
        if built is None or built[1] <= report.sent_intervals:
            continue
        request, covered = built
        try:
            await _send(reporter, sink, report, request)
        except VtnHttpError as err:
            gone = err.status in GONE
            logger.warning("event %s: report %s (%s)", report.event_id, _FATE[gone], err)
            if gone:
                reporter.forget(report.event_id)
            continue
        except OpenADR3Error as err:
            logger.warning("event %s: report %s (%s)", report.event_id, _FATE[False], err)
            return taken, False
        report.sent_intervals = covered
        taken += 1
    for event_id in reporter.overdue(now):
        logger.warning("event %s: report let go, no samples for some of its intervals", event_id)
        reporter.forget(event_id)
    reporter.samples.mark_reported(reporter.watermark(now))
    return taken, True


_FATE = {True: "given up: the event is gone", False: "not taken; sent again later"}


async def _send(reporter: Reporter3, sink: ReportSink, report: EventReport, request: ReportRequest) -> None:
    """POST the first time, PUT after (our report found at the VTN after a restart is updated)."""
    if not report.looked_up:
        report.report_id = await sink.find_report(report.event_id, reporter.client_name)
        report.looked_up = True
    if report.report_id is None:
        report.report_id = await sink.create_report(request)
    else:
        await sink.update_report(report.report_id, request)
