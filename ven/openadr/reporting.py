"""The VTN's report requests, answered and kept: each is sent once per its reportBackDuration, each
message holding every interval at its granularity since the previous one (CONTRACT.md, round 2).

- TELEMETRY_USAGE / TELEMETRY_STATUS: periodic. Intervals are granularity-long buckets aligned to the
  epoch; a bucket is sent once it is complete: power as the mean of its samples, status as its last.
  Usage is store and forward: a request starts at the oldest sample the VTN does not have, moves on only
  when the VTN acknowledged a report, and samples are marked reported once every usage request has them.
- HISTORY_USAGE: once, the reportInterval's buckets from the store (required: a past window).
- FLEXIBILITY_FORECAST: periodic (or once), each message the whole projection from now on.
- A granularity or reportBackDuration of 0 asks for one report now (the latest values).
Requests the VEN cannot serve are refused with the code the answer carries: 461 for a report not offered,
452 for an r_id not in it, 454 for a granularity outside the offered range or an unusable reportInterval.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ven.openadr.models import ResponseCode
from ven.openadr.reports import (
    FORECAST_REPORT,
    HISTORY_REPORT,
    STATUS_REPORT,
    USAGE_REPORT,
    Catalog,
    Item,
    ReportSources,
)
from ven.openadr.wire import Interval, LoadControl, ReportData, Status
from ven.telemetry.series import Point, ResourceStatus

logger = logging.getLogger(__name__)

RETRY = timedelta(seconds=10)  # a report the VTN did not acknowledge is tried again this soon


class ReportRequestError(Exception):
    def __init__(self, code: ResponseCode, problem: str) -> None:
        super().__init__(problem)
        self.code = code
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """One oadrReportRequest, checked against what the VEN offers."""

    report_request_id: str
    specifier_id: str
    items: tuple[Item, ...]
    granularity: timedelta
    back_duration: timedelta
    interval_start: datetime | None = None
    interval_duration: timedelta | None = None

    @property
    def one_shot(self) -> bool:
        return self.specifier_id == HISTORY_REPORT or not self.granularity or not self.back_duration

    @property
    def r_ids(self) -> tuple[str, ...]:
        return tuple(i.r_id for i in self.items)


def parse_request(raw: Mapping[str, Any], catalog: Catalog) -> ReportRequest:
    """A typed request from openleadr's parsed oadrReportRequest; ReportRequestError if unservable."""
    request_id = raw.get("report_request_id")
    specifier = raw.get("report_specifier")
    if not isinstance(request_id, str | int) or not isinstance(specifier, Mapping):
        raise ReportRequestError(ResponseCode.INVALID_DATA, "reportRequestID or reportSpecifier missing")
    specifier_id = str(specifier.get("report_specifier_id"))
    offered = catalog.items.get(specifier_id)
    offer = catalog.offer(specifier_id)
    if offered is None or offer is None:
        raise ReportRequestError(ResponseCode.REPORT_NOT_SUPPORTED, f"no report {specifier_id!r} is offered")
    payloads = specifier.get("specifier_payloads") or []
    r_ids = [str(p.get("r_id")) for p in payloads if isinstance(p, Mapping)]
    unknown = [r_id for r_id in r_ids if r_id not in offered]
    if unknown or not r_ids:
        problem = f"report {specifier_id} has no r_id {unknown[0]!r}" if unknown else "no rID requested"
        raise ReportRequestError(ResponseCode.INVALID_ID, problem)
    items = tuple(offered[r_id] for r_id in dict.fromkeys(r_ids))
    granularity = _duration(specifier.get("granularity"), "granularity")
    back = _duration(specifier.get("report_back_duration"), "reportBackDuration")
    low = max(i.description.min_period for i in items)
    high = min(i.description.max_period for i in items)
    if granularity and not low <= granularity <= high:
        raise ReportRequestError(
            ResponseCode.INVALID_DATA, f"granularity {granularity} outside the offered {low}..{high}"
        )
    start, length = _interval(specifier.get("report_interval"))
    if specifier_id == HISTORY_REPORT and (start is None or not length):
        raise ReportRequestError(
            ResponseCode.INVALID_DATA, "HISTORY_USAGE needs a reportInterval (a past window)"
        )
    return ReportRequest(str(request_id), specifier_id, items, granularity, back, start, length)


def _duration(value: object, name: str) -> timedelta:
    if value is None:
        return timedelta(0)
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ReportRequestError(ResponseCode.INVALID_DATA, f"{name} is not a duration: {value!r}")
    return value


def _interval(value: object) -> tuple[datetime | None, timedelta | None]:
    if not isinstance(value, Mapping):
        return None, None
    start, length = value.get("dtstart"), value.get("duration")
    if not isinstance(start, datetime) or start.tzinfo is None:
        raise ReportRequestError(ResponseCode.INVALID_DATA, f"reportInterval dtstart unusable: {start!r}")
    return start, _duration(length, "reportInterval duration")


@dataclass
class _Live:
    request: ReportRequest
    cursor: datetime  # every bucket before this was sent (sampled reports)
    due: datetime
    until: datetime | None = None  # HISTORY_USAGE: the end of its window
    done: bool = False
    batch: int | None = None  # intervals per message once the VTN refused one as too large


@dataclass
class Reporter:
    """Holds the live requests and builds what is due; the client sends it and reports back."""

    sources: ReportSources
    catalog: Catalog
    batch: int = 500  # intervals per r_id and message; a longer backlog goes out in several
    _live: dict[str, _Live] = field(default_factory=dict)
    _reports: int = 0

    @property
    def requests(self) -> list[ReportRequest]:
        return [live.request for live in self._live.values()]

    def accept(self, request: ReportRequest, now: datetime) -> None:
        """Keep a request (replacing one with the same id): its first report is due now (one-shot) or
        after one reportBackDuration."""
        cursor = _bucket(now, request.granularity)
        until = None
        if request.specifier_id == USAGE_REPORT:
            oldest = self.sources.usage.oldest_unreported()
            if oldest is not None:
                cursor = min(cursor, _bucket(oldest, request.granularity))
        elif request.specifier_id == HISTORY_REPORT and request.interval_start is not None:
            length = request.interval_duration or timedelta(0)
            cursor = max(request.interval_start, now - self.sources.history)
            until = min(request.interval_start + length, now)
        # A projection is about what comes: the first one goes out at once.
        first_now = request.one_shot or request.specifier_id == FORECAST_REPORT
        due = now if first_now else now + request.back_duration
        self._live[request.report_request_id] = _Live(request, cursor, due, until)

    def cancel(self, report_request_id: str) -> bool:
        return self._live.pop(report_request_id, None) is not None

    def clear(self) -> None:
        self._live.clear()

    def due(self, now: datetime, force: Collection[str] = ()) -> list[tuple[str, ReportData]]:
        """The reports due now (or forced), by request id (at most one per request)."""
        out = []
        for request_id, live in self._live.items():
            if live.done or (live.due > now and request_id not in force):
                continue
            data = self._build(live, now)
            if data is not None:
                out.append((request_id, data))
            elif live.request.one_shot:
                live.done = True  # nothing to send
            elif live.request.specifier_id == FORECAST_REPORT:
                live.due = now + min(RETRY, live.request.back_duration)  # not computed yet
            else:
                live.due = now + live.request.back_duration
        return out

    def sent(
        self, request_id: str, data: ReportData, now: datetime, *, acknowledged: bool, too_large: bool = False
    ) -> None:
        """The outcome of sending one report built by `due`; `too_large`: the VTN refused its size (HTTP
        413), and the same report again would be refused again."""
        live = self._live.get(request_id)
        if live is None:
            return
        if not acknowledged:
            if too_large and self._split(live, data):
                live.due = now
                return
            live.due = now + min(RETRY, live.request.back_duration or RETRY)
            return
        request = live.request
        ends = [i.start + (i.duration or request.granularity) for i in data.intervals]
        if ends and request.specifier_id != FORECAST_REPORT:
            live.cursor = max(live.cursor, *ends)
        if request.specifier_id == HISTORY_REPORT:
            live.done = live.until is None or live.cursor >= live.until
            live.due = now
            return
        if request.one_shot:
            live.done = True
            return
        backlog = self._complete_until(live, now) > live.cursor  # still behind: send again at once
        live.due = now if backlog else now + request.back_duration
        if request.specifier_id == USAGE_REPORT:
            cursors = [v.cursor for v in self._live.values() if v.request.specifier_id == USAGE_REPORT]
            self.sources.usage.mark_reported(min(cursors))

    def _split(self, live: _Live, data: ReportData) -> bool:
        """After a refusal for size: send half the intervals per message from now on; a single interval
        over the VTN's limit can never be sent, so it is skipped (logged) rather than tried forever.
        False for reports that are not paged (projections, latest values)."""
        request = live.request
        if request.specifier_id == FORECAST_REPORT or request.one_shot:
            return False
        starts = sorted({i.start for i in data.intervals})
        if len(starts) > 1:
            live.batch = max(1, len(starts) // 2)
            logger.warning(
                "report %s for request %s: the VTN refused its size; %d intervals per message from now on",
                data.report_id,
                request.report_request_id,
                live.batch,
            )
            return True
        end = starts[0] + (data.intervals[0].duration or request.granularity)
        logger.error(
            "report %s for request %s: one interval (%s) is over the VTN's size limit on its own; skipped",
            data.report_id,
            request.report_request_id,
            starts[0].isoformat(),
        )
        live.cursor = max(live.cursor, end)
        return True

    # -- building ---------------------------------------------------------------------------------

    def _build(self, live: _Live, now: datetime) -> ReportData | None:
        request = live.request
        if request.specifier_id == FORECAST_REPORT:
            intervals = self._forecast(request, now)
        elif request.specifier_id == HISTORY_REPORT:
            intervals = self._sampled(request, live.cursor, live.until or live.cursor, live.batch)
        elif request.one_shot:
            intervals = self._latest(request, now)
        else:
            intervals = self._sampled(request, live.cursor, self._complete_until(live, now), live.batch)
        if not intervals:
            return None
        self._reports += 1
        return ReportData(
            request.report_request_id,
            request.specifier_id,
            _report_name(request.specifier_id, self.catalog),
            intervals,
            now,
            f"report-{now.strftime('%Y%m%dT%H%M%S')}-{self._reports}",
        )

    def _complete_until(self, live: _Live, now: datetime) -> datetime:
        return _bucket(now, live.request.granularity)

    def _source_points(self, request: ReportRequest, since: datetime, until: datetime) -> list[Point]:
        keys = [i.key for i in request.items]
        if request.specifier_id in (USAGE_REPORT, HISTORY_REPORT):
            return self.sources.usage.points(keys, since, until)
        return self.sources.status.points(keys, since, until)

    def _sampled(
        self, request: ReportRequest, since: datetime, until: datetime, batch: int | None = None
    ) -> list[Interval]:
        if until <= since:
            return []
        points = self._source_points(request, since, until)
        by_key = {i.key: i.r_id for i in request.items}
        step = request.granularity
        buckets: dict[tuple[datetime, str], list[float | ResourceStatus]] = defaultdict(list)
        for point in points:
            r_id = by_key.get((point.resource, point.quantity))
            if r_id is not None:
                buckets[(_bucket(point.ts, step), r_id)].append(point.value)
        starts = sorted({start for start, _ in buckets})[: batch or self.batch]
        last = starts[-1] if starts else since
        return [
            Interval(start, r_id, _combine(values), step or None)
            for (start, r_id), values in sorted(buckets.items(), key=lambda kv: (kv[0][0], kv[0][1]))
            if start <= last
        ]

    def _latest(self, request: ReportRequest, now: datetime) -> list[Interval]:
        """One report of the latest values (granularity or reportBackDuration 0)."""
        window = max(self.sources.sampling * 3, request.granularity)
        latest: dict[str, Point] = {}
        for point in self._source_points(request, now - window, now + timedelta(microseconds=1)):
            r_id = next(i.r_id for i in request.items if i.key == (point.resource, point.quantity))
            latest[r_id] = point
        return [Interval(p.ts, r_id, _wire_value(p.value)) for r_id, p in sorted(latest.items())]

    def _forecast(self, request: ReportRequest, now: datetime) -> list[Interval]:
        if self.sources.forecast is None:
            return []
        by_key = {i.key: i.r_id for i in request.items}
        return [
            Interval(p.ts, by_key[(p.resource, p.quantity)], _wire_value(p.value), p.duration)
            for p in self.sources.forecast(now)
            if (p.resource, p.quantity) in by_key
        ]


def _bucket(when: datetime, step: timedelta) -> datetime:
    """The start of the granularity bucket holding `when` (aligned to the epoch; 0: `when` itself)."""
    seconds = step.total_seconds()
    if seconds <= 0:
        return when
    return datetime.fromtimestamp((when.timestamp() // seconds) * seconds, when.tzinfo)


def _combine(values: Sequence[float | ResourceStatus]) -> float | Status:
    """A bucket's value: the mean of its numbers, or its last status."""
    last = values[-1]
    if isinstance(last, ResourceStatus):
        return _wire_value(last)
    numbers = [float(v) for v in values if not isinstance(v, ResourceStatus)]
    return sum(numbers) / len(numbers)


def _wire_value(value: float | ResourceStatus) -> float | Status:
    if not isinstance(value, ResourceStatus):
        return float(value)
    return Status(
        online=value.online,
        manual_override=value.manual_override,
        set_point=LoadControl(
            current=value.power_kw,
            minimum=value.min_power_kw,
            maximum=value.max_power_kw,
            normal=value.baseline_kw,
        ),
    )


def _report_name(specifier_id: str, catalog: Catalog) -> str:
    offer = catalog.offer(specifier_id)
    return specifier_id if offer is None else offer.report_name


def answer_code(errors: Sequence[ReportRequestError]) -> tuple[int, str]:
    """The oadrCreatedReport eiResponse for a batch of requests: OK, or the first refusal."""
    if not errors:
        return int(ResponseCode.OK), "OK"
    return int(errors[0].code), errors[0].problem


__all__ = [
    "STATUS_REPORT",
    "ReportRequest",
    "ReportRequestError",
    "Reporter",
    "answer_code",
    "parse_request",
]
