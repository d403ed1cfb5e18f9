"""A DrEvent's signals as one `Request` (CONTRACT.md, "OpenADR signals -> requests"; the edges map each
protocol's signals onto `SignalKind`, docs/reference.md).

| kind              | requested reduction per interval (kW)                        |
|-------------------|--------------------------------------------------------------|
| LOAD_DELTA        | -value (negative delta = shed)                               |
| LOAD_SETPOINT     | baseline - value (`Request.setpoint`)                        |
| IMPORT_LIMIT      | max(0, baseline - value)                                     |
| CAPACITY_FRACTION | max(0, baseline * (1 - fraction))                            |
| SIMPLE_LEVEL      | levels[value] * available reduction (0 = none)               |
| PRICE             | 0; the values become `Request.price`                         |

Power payloads scale to kW by the signal's `kw_per_unit`. One event may carry one dispatching signal
(power kinds win over CAPACITY_FRACTION, which wins over SIMPLE_LEVEL) plus a price signal. Anything else
raises UnsupportedSignalError (the edge answers it: 2.0b 460 and optOut).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from ven.events.answers import Answer, AnswerSource
from ven.events.model import (
    DrEvent,
    EventRejectedError,
    EventSignal,
    MalformedEventError,
    SignalKind,
    UnsupportedSignalError,
)
from ven.model.horizon import Horizon
from ven.model.request import DEFAULT_MARGIN, Request

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ven.events.view import EventView
    from ven.model.fleet import FloatArray


# Lower rank dispatches first.
_RANK = {
    SignalKind.LOAD_DELTA: 0,
    SignalKind.LOAD_SETPOINT: 0,
    SignalKind.IMPORT_LIMIT: 0,
    SignalKind.CAPACITY_FRACTION: 1,
    SignalKind.SIMPLE_LEVEL: 2,
}
_SIMPLE_LEVELS = range(4)


def signal_kind(event: DrEvent, signal: EventSignal) -> SignalKind:
    """The kind of one signal, or UnsupportedSignalError."""
    if signal.kind is None:
        label = f"{signal.name}/{signal.type}" if signal.type else signal.name
        raise UnsupportedSignalError(event.event_id, signal.problem or f"signal {label} not supported")
    return signal.kind


def check_supported(event: DrEvent) -> tuple[EventSignal | None, EventSignal | None]:
    """(dispatching signal, price signal) of an event; UnsupportedSignalError if it holds anything else."""
    dispatch: dict[int, EventSignal] = {}
    price: EventSignal | None = None
    for signal in event.signals:
        kind = signal_kind(event, signal)
        if kind is SignalKind.PRICE:
            if price is not None:
                raise UnsupportedSignalError(event.event_id, "more than one price signal")
            price = signal
            continue
        rank = _RANK[kind]
        if rank in dispatch:
            raise UnsupportedSignalError(event.event_id, f"more than one {signal.name} signal")
        dispatch[rank] = signal
    return (dispatch[min(dispatch)] if dispatch else None), price


def event_horizon(event: DrEvent, offset: timedelta = timedelta(0)) -> Horizon:
    """The intervals of the event's dispatching (else price) signal from dtstart (+ the runtime's
    randomisation `offset`, drawn within `event.startafter`)."""
    dispatch, price = check_supported(event)
    signal = dispatch or price
    if signal is None:  # unreachable: the model refuses events without signals
        raise MalformedEventError(event.event_id, "no signal")
    durations = tuple(i.duration for i in signal.intervals)
    if any(d <= timedelta(0) for d in durations):
        raise MalformedEventError(event.event_id, "open-ended (zero-length) intervals are not supported")
    return Horizon(event.dtstart + offset, durations)


def event_request(
    event: DrEvent,
    *,
    baseline_kw: Sequence[float] | FloatArray,
    available_reduction_kw: Sequence[float] | FloatArray,
    simple_levels: Mapping[int, float],
    margin: float = DEFAULT_MARGIN,
    offset: timedelta = timedelta(0),
) -> Request:
    """The event as one Request over `event_horizon(event, offset)`; the per-interval inputs are fleet kW."""
    horizon = event_horizon(event, offset)
    dispatch, price_signal = check_supported(event)
    baseline = _per_interval(baseline_kw, horizon, "baseline_kw")
    available = _per_interval(available_reduction_kw, horizon, "available_reduction_kw")
    price = np.zeros(0) if price_signal is None else _price_per_interval(price_signal, horizon)
    if dispatch is None:
        return Request(horizon, np.zeros(len(horizon)), margin, price)
    kind = signal_kind(event, dispatch)
    values = np.array([i.value for i in dispatch.intervals], dtype=np.float64)
    if kind is SignalKind.LOAD_SETPOINT:
        setpoint_kw = values * dispatch.kw_per_unit
        request = Request.setpoint(horizon, baseline, setpoint_kw.tolist(), margin)
        return Request(horizon, request.reduction_kw, margin, price)
    if kind is SignalKind.LOAD_DELTA:
        reduction = -values * dispatch.kw_per_unit
    elif kind is SignalKind.IMPORT_LIMIT:
        if np.any(values < 0):
            raise MalformedEventError(event.event_id, f"{dispatch.name}: an import limit below 0")
        reduction = np.maximum(0.0, baseline - values * dispatch.kw_per_unit)
    elif kind is SignalKind.CAPACITY_FRACTION:
        if np.any(values < 0):
            raise MalformedEventError(event.event_id, f"{dispatch.name}: a capacity fraction below 0")
        reduction = np.maximum(0.0, baseline * (1.0 - values))
    else:
        reduction = _simple_fractions(event, values, simple_levels) * available
    return Request(horizon, reduction, margin, price)


def _simple_fractions(event: DrEvent, values: FloatArray, levels: Mapping[int, float]) -> FloatArray:
    fractions = []
    for value in values:
        level = int(value)
        if level != value or level not in _SIMPLE_LEVELS:
            raise MalformedEventError(event.event_id, f"SIMPLE level {value} outside 0-3")
        fractions.append(0.0 if level == 0 else levels.get(level, 0.0))
    return np.array(fractions, dtype=np.float64)


def _per_interval(values: Sequence[float] | FloatArray, horizon: Horizon, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (len(horizon),):
        raise ValueError(f"{name}: expected {len(horizon)} values, got {array.shape}")
    return array


def _price_per_interval(signal: EventSignal, horizon: Horizon) -> FloatArray:
    """The price in force at the start of each horizon interval (price intervals may be cut differently)."""
    # Seconds from dtstart: the runtime's randomisation offset shifts both schedules alike.
    price_ends = np.cumsum([i.duration.total_seconds() for i in signal.intervals])
    since_start = horizon.start_ts - horizon.start.timestamp()
    positions = np.searchsorted(price_ends, since_start, side="right")
    values = np.array([i.value for i in signal.intervals], dtype=np.float64)
    return values[np.minimum(positions, len(values) - 1)]


def refusal(err: EventRejectedError) -> Answer:
    """The optOut for an event the VEN cannot convert into a Request."""
    source = AnswerSource.UNSUPPORTED if err.unsupported else AnswerSource.INVALID
    return Answer.opt_out(err.problem, source)


def convertible(view: EventView) -> Answer | None:
    """A Decider: None when the event converts into a Request (signals we act on, values we can read),
    else its optOut. Cheap: the conversion is checked with zero baselines, no fleet involved."""
    try:
        zeros = np.zeros(len(event_horizon(view.event, view.offset)))
        event_request(view.event, baseline_kw=zeros, available_reduction_kw=zeros, simple_levels={})
    except EventRejectedError as err:
        return refusal(err)
    return None
