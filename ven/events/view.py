"""One event as this VEN executes it: effective (randomised) times, live status and intervals.

Everything here is a pure function of the view and a time `t`; the EventBook builds the views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ven.events.answers import Answer, Opt
from ven.events.model import DrEvent, EventRejectedError, EventSignal, EventStatus
from ven.events.signals import check_supported


@dataclass(frozen=True, slots=True)
class IntervalView:
    """Interval `index` of an event's schedule signal, in effective (randomised) time.
    `end` is None for the open-ended last interval of an event with duration 0 (rule 47)."""

    view: EventView
    index: int
    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class EventView:
    """The latest modification of one event, with what the VEN made of it.

    `offset_s`: the start offset drawn within tolerance.startafter (rule 30); start and end shift by it.
    `targeted`: whether eiTarget names this VEN (rule 22); an untargeted event is tracked, never run.
    `cancel_at`: when the VEN stops executing a cancelled event (randomised within startafter once it
    has started, rule 65; the moment of receipt before it has started); None if not cancelled.
    `answer`: the VEN's answer to this modification, once decided (a cancellation keeps the answer the
    event had). `standing`: the previous modification's opt, in force until this one is decided, so that
    a running event the VTN modifies keeps running meanwhile instead of releasing the fleet.
    """

    event: DrEvent
    offset_s: float = 0.0
    targeted: bool = True
    cancel_at: datetime | None = None
    answer: Answer | None = None
    standing: Opt | None = None

    @property
    def event_id(self) -> str:
        return self.event.event_id

    @property
    def modification_number(self) -> int:
        return self.event.modification_number

    @property
    def opt(self) -> Opt | None:
        """The opt in force: this modification's answer, else the previous one's until it is decided."""
        return self.standing if self.answer is None else self.answer.opt

    @property
    def offset(self) -> timedelta:
        """The randomisation offset, as ven.events.signals.event_request(offset=...) takes it."""
        return timedelta(seconds=self.offset_s)

    @property
    def start(self) -> datetime:
        """The effective start: dtstart plus the randomisation offset."""
        return self.event.dtstart + self.offset

    @property
    def nominal_end(self) -> datetime | None:
        """The effective end ignoring cancellation; None for an event of duration 0 (until cancelled)."""
        return None if not self.event.duration else self.start + self.event.duration

    @property
    def end(self) -> datetime | None:
        """When execution stops: the effective end, or the cancellation time if that comes first."""
        nominal = self.nominal_end
        if self.cancel_at is None:
            return nominal
        return self.cancel_at if nominal is None else min(nominal, self.cancel_at)

    @property
    def near_at(self) -> datetime:
        """Start of the "near" window: x-eiRampUp before the start (no window without a ramp-up)."""
        return self.start - (self.event.ramp_up or timedelta(0))

    @property
    def dispatchable(self) -> bool:
        """Whether the fleet may act on it: targeted, not a test event, opted in (a new event is not
        dispatched before it is decided: the decision may take a planning run)."""
        return self.targeted and not self.event.test_event and self.opt is Opt.IN

    def cancelled_by(self, t: datetime) -> bool:
        """True once a cancellation has stopped the event before its own end."""
        nominal = self.nominal_end
        if self.cancel_at is None or t < self.cancel_at:
            return False
        return nominal is None or self.cancel_at < nominal

    def status(self, t: datetime) -> EventStatus:
        """far, near, active, completed or cancelled at time `t`."""
        if self.cancelled_by(t):
            return EventStatus.CANCELLED
        if t < self.near_at:
            return EventStatus.FAR
        if t < self.start:
            return EventStatus.NEAR
        end = self.end
        return EventStatus.ACTIVE if end is None or t < end else EventStatus.COMPLETED

    def intervals(self) -> list[IntervalView]:
        """The schedule signal's intervals in effective time, cut at a cancellation."""
        end = self.end
        found: list[IntervalView] = []
        begin = self.start
        durations = [i.duration for i in schedule_signal(self.event).intervals]
        for k, duration in enumerate(durations):
            last = k == len(durations) - 1
            stop = None if (last and self.nominal_end is None) else begin + duration
            if end is not None:
                if begin >= end:
                    break
                stop = end if stop is None else min(stop, end)
            found.append(IntervalView(self, k, begin, stop))
            if stop is None:
                break
            begin = stop
        return found

    def interval_at(self, t: datetime) -> IntervalView | None:
        """The interval covering `t` (start inclusive, end exclusive), if any."""
        for interval in self.intervals():
            if interval.start <= t and (interval.end is None or t < interval.end):
                return interval
        return None

    def boundaries(self) -> list[datetime]:
        """Every instant where this event's status or interval changes."""
        times = {self.near_at, self.start}
        times.update(i.start for i in self.intervals())
        end = self.end
        if end is None:
            return sorted(times)
        # Nothing changes after the end (a cancellation before the start is the end, too).
        return sorted({t for t in times if t < end} | {end})


def schedule_signal(event: DrEvent) -> EventSignal:
    """The signal whose intervals time the event: the dispatching signal, else the price signal, else
    (an event the VEN cannot act on, kept only to be tracked) the first signal."""
    try:
        dispatch, price = check_supported(event)
    except EventRejectedError:
        return event.signals[0]
    return dispatch or price or event.signals[0]
