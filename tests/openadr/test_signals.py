"""Signal -> Request conversion (CONTRACT.md table) and the event horizon."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from ven.events.model import MalformedEventError
from ven.events.signals import UnsupportedSignalError, event_horizon, event_request, refusal
from ven.openadr.answers import response_code
from ven.openadr.models import ResponseCode, event_from_openleadr

from .conftest import raw_event, signal_dict

LEVELS = {1: 0.5, 2: 0.75, 3: 1.0}
KW_SCALE = {"name": "powerReal", "unit": "W", "scale": "k", "description": "RealPower"}


def request_for(signals: list[dict], baseline=(300.0, 300.0), available=(200.0, 100.0), **kwargs):
    event = event_from_openleadr(raw_event(event_signals=signals))
    return event_request(
        event, baseline_kw=baseline, available_reduction_kw=available, simple_levels=LEVELS, **kwargs
    )


def test_delta_negative_means_reduce() -> None:
    """LOAD_DISPATCH delta -500 kW asks a 500 kW reduction."""
    request = request_for([signal_dict("LOAD_DISPATCH", "delta", [-500.0, 100.0])])
    assert request.reduction_kw.tolist() == [500.0, -100.0]


def test_delta_in_watts_with_scale() -> None:
    """A W itemBase with siScaleCode converts to kW: -0.5 MW is a 500 kW reduction."""
    signal = signal_dict("LOAD_DISPATCH", "delta", [-0.5, -500_000.0], measurement=dict(KW_SCALE, scale="M"))
    signal["intervals"][1]["signal_payload"] = -0.25
    assert request_for([signal]).reduction_kw.tolist() == [500.0, 250.0]


def test_delta_in_plain_watts() -> None:
    """A W itemBase without a scale is watts."""
    signal = signal_dict("LOAD_DISPATCH", "delta", [-5000.0, 0.0], measurement=dict(KW_SCALE, scale="none"))
    assert request_for([signal]).reduction_kw.tolist() == [5.0, 0.0]


def test_setpoint_is_baseline_minus_target() -> None:
    """LOAD_DISPATCH setpoint: requested reduction = baseline - setpoint (export targets allowed)."""
    request = request_for([signal_dict("LOAD_DISPATCH", "setpoint", [100.0, -50.0])], baseline=(300.0, 250.0))
    assert request.reduction_kw.tolist() == [200.0, 300.0]


def test_simple_levels_scale_available_reduction() -> None:
    """SIMPLE level k asks the configured fraction of the available reduction; level 0 asks nothing."""
    request = request_for([signal_dict("SIMPLE", "level", [2.0, 0.0])], available=(200.0, 100.0))
    assert request.reduction_kw.tolist() == [150.0, 0.0]


def test_capacity_caps_load_at_fraction_of_baseline() -> None:
    """x-loadControlCapacity 0.6 asks baseline * 0.4; a cap above the baseline asks nothing."""
    request = request_for([signal_dict("LOAD_CONTROL", "x-loadControlCapacity", [0.6, 1.2])])
    assert request.reduction_kw == pytest.approx([120.0, 0.0])


def test_price_only_event_asks_no_reduction() -> None:
    """ELECTRICITY_PRICE alone: zero requested reduction, prices per interval."""
    request = request_for([signal_dict("ELECTRICITY_PRICE", "price", [0.31, 0.12])])
    assert request.reduction_kw.tolist() == [0.0, 0.0]
    assert request.price.tolist() == [0.31, 0.12]


def test_price_resampled_onto_dispatch_intervals() -> None:
    """A price signal with other interval lengths is read at each dispatch interval's start."""
    signals = [
        signal_dict("LOAD_DISPATCH", "delta", [-10.0, -10.0]),
        signal_dict("ELECTRICITY_PRICE", "price", [0.1, 0.2, 0.3], minutes=10),
    ]
    assert request_for(signals).price.tolist() == [0.1, 0.2]


def test_dispatch_beats_simple_in_one_event() -> None:
    """LOAD_DISPATCH and SIMPLE together: the LOAD_DISPATCH values drive the request."""
    signals = [
        signal_dict("SIMPLE", "level", [3.0, 3.0]),
        signal_dict("LOAD_DISPATCH", "delta", [-1.0, -2.0]),
    ]
    assert request_for(signals).reduction_kw.tolist() == [1.0, 2.0]


def test_unsupported_signal_answers_460() -> None:
    """An unknown signal name/type is UnsupportedSignalError carrying 460 (signal not supported)."""
    with pytest.raises(UnsupportedSignalError) as caught:
        request_for([signal_dict("BID_LOAD", "setpoint", [1.0, 1.0])])
    assert response_code(refusal(caught.value)) == ResponseCode.SIGNAL_NOT_SUPPORTED == 460


def test_power_signal_in_other_unit_is_unsupported() -> None:
    """A LOAD_DISPATCH itemBase not in W cannot be converted: 460."""
    signal = signal_dict("LOAD_DISPATCH", "delta", [1.0, 1.0], measurement=dict(KW_SCALE, unit="A"))
    with pytest.raises(UnsupportedSignalError):
        request_for([signal])


def test_horizon_follows_interval_durations_and_offset() -> None:
    """The horizon starts at dtstart (+ the runtime's randomisation offset) with the signal's durations."""
    signal = signal_dict("LOAD_DISPATCH", "delta", [-1.0, -1.0])
    signal["intervals"][0]["duration"] = timedelta(minutes=20)
    signal["intervals"][1]["duration"] = timedelta(minutes=10)
    event = event_from_openleadr(raw_event(event_signals=[signal]))
    horizon = event_horizon(event, offset=timedelta(minutes=2))
    assert horizon.start == event.dtstart + timedelta(minutes=2)
    assert horizon.durations == (timedelta(minutes=20), timedelta(minutes=10))


def test_margin_passes_through() -> None:
    """The runtime's margin lands in the Request."""
    request = request_for([signal_dict("LOAD_DISPATCH", "delta", [-1.0, -1.0])], margin=0.1)
    assert request.margin == 0.1
    assert np.all(request.reduction_kw == 1.0)


def test_wrong_baseline_length_is_refused() -> None:
    """Per-interval inputs must match the horizon."""
    with pytest.raises(ValueError, match="baseline_kw"):
        request_for([signal_dict("LOAD_DISPATCH", "delta", [-1.0, -1.0])], baseline=(1.0,))


def test_negative_capacity_is_malformed() -> None:
    """A negative load-control capacity is invalid data (454)."""
    with pytest.raises(MalformedEventError) as caught:
        request_for([signal_dict("LOAD_CONTROL", "x-loadControlCapacity", [-0.1, 0.5])])
    assert response_code(refusal(caught.value)) == 454
