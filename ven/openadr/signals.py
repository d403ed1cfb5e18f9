"""OpenADR signals to one `Request` (CONTRACT.md, "OpenADR signals -> requests").

| signal            | type                  | requested reduction per interval (kW)               |
|-------------------|-----------------------|-----------------------------------------------------|
| LOAD_DISPATCH     | delta                 | -value (negative delta = shed)                      |
| LOAD_DISPATCH     | setpoint              | baseline - value (`Request.setpoint`)               |
| LOAD_CONTROL      | x-loadControlCapacity | max(0, baseline * (1 - fraction))                   |
| SIMPLE            | level                 | levels[value] * available reduction (0 = none)      |
| ELECTRICITY_PRICE | price                 | 0; the values become `Request.price`                |

Power payloads are kW unless the signal carries an itemBase, which must then be W with an siScaleCode.
One event may carry one dispatching signal (the first three kinds; LOAD_DISPATCH wins over LOAD_CONTROL,
which wins over SIMPLE) plus a price signal. Anything else raises UnsupportedSignalError (response 460).
"""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np

from ven.model.horizon import Horizon
from ven.model.request import DEFAULT_MARGIN, Request
from ven.openadr.models import (
    EventRejectedError,
    EventSignal,
    MalformedEventError,
    OadrEvent,
    ResponseCode,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ven.model.fleet import FloatArray


class SignalKind(Enum):
    DISPATCH_DELTA = ("LOAD_DISPATCH", "delta")
    DISPATCH_SETPOINT = ("LOAD_DISPATCH", "setpoint")
    LOAD_CAPACITY = ("LOAD_CONTROL", "x-loadControlCapacity")
    SIMPLE_LEVEL = ("SIMPLE", "level")
    PRICE = ("ELECTRICITY_PRICE", "price")


# Lower rank dispatches first; the 2.0b schema also spells SIMPLE in lower case.
_RANK = {
    SignalKind.DISPATCH_DELTA: 0,
    SignalKind.DISPATCH_SETPOINT: 0,
    SignalKind.LOAD_CAPACITY: 1,
    SignalKind.SIMPLE_LEVEL: 2,
}
_POWER_KINDS = {SignalKind.DISPATCH_DELTA, SignalKind.DISPATCH_SETPOINT}
_SIMPLE_LEVELS = range(4)


class UnsupportedSignalError(EventRejectedError):
    """A signal this VEN does not act on; answer the event with 460 (signal not supported) and optOut."""

    response_code = ResponseCode.SIGNAL_NOT_SUPPORTED


def signal_kind(event: OadrEvent, signal: EventSignal) -> SignalKind:
    """The kind of one signal, or UnsupportedSignalError."""
    key = (signal.name.upper() if signal.name.lower() == "simple" else signal.name, signal.type)
    for kind in SignalKind:
        if kind.value == key:
            return kind
    raise UnsupportedSignalError(event.event_id, f"signal {signal.name}/{signal.type} not supported")


def check_supported(event: OadrEvent) -> tuple[EventSignal | None, EventSignal | None]:
    """(dispatching signal, price signal) of an event; UnsupportedSignalError if it holds anything else."""
    dispatch: dict[int, EventSignal] = {}
    price: EventSignal | None = None
    for signal in event.signals:
        kind = signal_kind(event, signal)
        if kind is SignalKind.PRICE:
            if price is not None:
                raise UnsupportedSignalError(event.event_id, "more than one ELECTRICITY_PRICE signal")
            price = signal
            continue
        rank = _RANK[kind]
        if rank in dispatch:
            raise UnsupportedSignalError(event.event_id, f"more than one {signal.name} signal")
        dispatch[rank] = signal
        if kind in _POWER_KINDS:
            _power_multiplier_kw(event, signal)
    return (dispatch[min(dispatch)] if dispatch else None), price


def event_horizon(event: OadrEvent, offset: timedelta = timedelta(0)) -> Horizon:
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
    event: OadrEvent,
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
    if kind is SignalKind.DISPATCH_SETPOINT:
        setpoint_kw = values * _power_multiplier_kw(event, dispatch)
        request = Request.setpoint(horizon, baseline, setpoint_kw.tolist(), margin)
        return Request(horizon, request.reduction_kw, margin, price)
    if kind is SignalKind.DISPATCH_DELTA:
        reduction = -values * _power_multiplier_kw(event, dispatch)
    elif kind is SignalKind.LOAD_CAPACITY:
        if np.any(values < 0):
            raise MalformedEventError(event.event_id, "x-loadControlCapacity below 0")
        reduction = np.maximum(0.0, baseline * (1.0 - values))
    else:
        reduction = _simple_fractions(event, values, simple_levels) * available
    return Request(horizon, reduction, margin, price)


def _power_multiplier_kw(event: OadrEvent, signal: EventSignal) -> float:
    """kW per payload unit: 1 without an itemBase, else the W scale over 1000."""
    base = signal.item_base
    if base is None:
        return 1.0
    if base.unit != "W":
        raise UnsupportedSignalError(event.event_id, f"{signal.name} in {base.unit!r}: only W is supported")
    return base.multiplier / 1000.0


def _simple_fractions(event: OadrEvent, values: FloatArray, levels: Mapping[int, float]) -> FloatArray:
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
