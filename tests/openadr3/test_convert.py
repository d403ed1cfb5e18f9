"""ven.openadr3.convert: 3.1 events (and their programs) into our DrEvent, once, at the edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ven.events.model import DrEvent, MalformedEventError, SignalKind, VtnStatus
from ven.openadr3.convert import (
    event_from_json,
    modification_number,
    own_targets,
    resource_names,
)
from ven.openadr3.models import INT32_MAX, Program

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
PROGRAM = Program.model_validate(
    {
        "id": "prg-1",
        "createdDateTime": "2026-07-01T00:00:00Z",
        "modificationDateTime": "2026-07-01T00:00:00Z",
        "objectType": "PROGRAM",
        "programName": "oadr://v2x-mock/default",
    }
)


def event(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "evt-1",
        "createdDateTime": "2026-07-01T11:00:00Z",
        "modificationDateTime": "2026-07-01T11:30:00Z",
        "objectType": "EVENT",
        "programID": "prg-1",
        "priority": 2,
        "targets": ["fleet-a"],
        "payloadDescriptors": [
            {
                "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                "payloadType": "DISPATCH_SETPOINT_RELATIVE",
                "units": "KW",
            }
        ],
        "intervalPeriod": {"start": "2026-07-01T13:00:00Z", "duration": "PT15M"},
        "intervals": [
            {"id": 0, "payloads": [{"type": "DISPATCH_SETPOINT_RELATIVE", "values": [-500]}]},
            {"id": 1, "payloads": [{"type": "DISPATCH_SETPOINT_RELATIVE", "values": [-300]}]},
        ],
    }
    return base | fields


def convert(raw: dict[str, Any]) -> DrEvent:
    return event_from_json(raw, PROGRAM, now=NOW)


def test_relative_setpoint_is_a_load_delta():
    """DISPATCH_SETPOINT_RELATIVE in KW becomes a LOAD_DELTA with the event's intervals, one after another."""
    got = convert(event())
    assert got.event_id == "evt-1"
    assert got.market_context == "oadr://v2x-mock/default"
    assert got.priority == 3  # 3.1's 2 (0 highest) is the core's 3 (1 highest, 0 none)
    assert got.event_status is VtnStatus.NONE
    assert got.dtstart == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)
    assert got.duration == timedelta(minutes=30)
    (signal,) = got.signals
    assert signal.kind is SignalKind.LOAD_DELTA
    assert signal.kw_per_unit == 1.0
    assert [(i.duration, i.value) for i in signal.intervals] == [
        (timedelta(minutes=15), -500.0),
        (timedelta(minutes=15), -300.0),
    ]
    assert got.targets.group_id == ("fleet-a",)


@pytest.mark.parametrize(
    ("payload_type", "kind"),
    [
        ("SIMPLE", SignalKind.SIMPLE_LEVEL),
        ("DISPATCH_SETPOINT", SignalKind.LOAD_SETPOINT),
        ("DISPATCH_SETPOINT_RELATIVE", SignalKind.LOAD_DELTA),
        ("IMPORT_CAPACITY_LIMIT", SignalKind.IMPORT_LIMIT),
        ("PRICE", SignalKind.PRICE),
        ("X_LOAD_CONTROL_CAPACITY", SignalKind.CAPACITY_FRACTION),
        ("EXPORT_CAPACITY_LIMIT", None),
        ("CHARGE_STATE_SETPOINT", None),
        ("X_SOMETHING_ELSE", None),
    ],
)
def test_payload_types_map_to_signal_kinds(payload_type: str, kind: SignalKind | None):
    """Each mapped payload type has its kind; anything else has none and says why."""
    raw = event(
        payloadDescriptors=None,
        intervals=[{"id": 0, "payloads": [{"type": payload_type, "values": [1]}]}],
    )
    (signal,) = convert(raw).signals
    assert signal.kind is kind
    assert (signal.problem == "") is (kind is not None)


@pytest.mark.parametrize(("units", "kw_per_unit"), [("KW", 1.0), ("W", 0.001), ("MW", 1000.0), (None, 1.0)])
def test_power_units_from_the_payload_descriptor(units: str | None, kw_per_unit: float):
    """Power payloads scale to kW from the eventPayloadDescriptor's units (none: kW)."""
    descriptor = {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "DISPATCH_SETPOINT"}
    if units:
        descriptor["units"] = units
    raw = event(
        payloadDescriptors=[descriptor],
        intervals=[{"id": 0, "payloads": [{"type": "DISPATCH_SETPOINT", "values": [10]}]}],
    )
    assert convert(raw).signals[0].kw_per_unit == kw_per_unit


def test_unknown_power_unit_is_unsupported():
    """A power payload in a unit we cannot scale is not acted on."""
    raw = event(
        payloadDescriptors=[
            {
                "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                "payloadType": "DISPATCH_SETPOINT_RELATIVE",
                "units": "KVAR",
            }
        ]
    )
    (signal,) = convert(raw).signals
    assert signal.kind is None
    assert "KVAR" in signal.problem


def test_interval_periods_of_their_own_and_sub_intervals():
    """An interval's own intervalPeriod wins; several values split it into equal sub-intervals; a missing
    start follows the previous interval."""
    raw = event(
        intervalPeriod=None,
        intervals=[
            {
                "id": 0,
                "intervalPeriod": {"start": "2026-07-01T13:00:00Z", "duration": "PT1H"},
                "payloads": [{"type": "PRICE", "values": [0.1, 0.2, 0.3, 0.4]}],
            },
            {
                "id": 1,
                "intervalPeriod": {"duration": "PT30M"},
                "payloads": [{"type": "PRICE", "values": [0.5]}],
            },
        ],
    )
    got = convert(raw)
    assert got.duration == timedelta(minutes=90)
    assert [i.duration for i in got.signals[0].intervals] == [timedelta(minutes=15)] * 4 + [
        timedelta(minutes=30)
    ]
    assert got.signals[0].kind is SignalKind.PRICE


def test_priority_ranks_as_in_the_core():
    """3.1's priority 0 is the highest: the core's 1; an event without one ranks lowest (the core's 0)."""
    assert convert(event(priority=0)).priority == 1
    assert convert(event(priority=None)).priority == 0
    assert convert(event(priority=INT32_MAX)).priority == INT32_MAX


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "high", True])
def test_a_value_that_is_no_finite_number_is_not_acted_on(value: object):
    """NaN, infinity, text or a boolean in a payload: the signal has no kind and says why."""
    raw = event(
        intervals=[{"id": 0, "payloads": [{"type": "DISPATCH_SETPOINT_RELATIVE", "values": [value]}]}]
    )
    (signal,) = convert(raw).signals
    assert signal.kind is None
    assert "not a number" in signal.problem


def test_randomize_start_and_now_start():
    """randomizeStart becomes startafter; the 'now' start (0001-01-01) is the conversion time."""
    raw = event(
        intervalPeriod={"start": "0001-01-01T00:00:00Z", "duration": "PT15M", "randomizeStart": "PT5M"}
    )
    got = convert(raw)
    assert got.startafter == timedelta(minutes=5)
    assert got.dtstart == NOW


def test_event_duration_shortens():
    """event.duration cuts the intervals short."""
    got = convert(event(duration="PT20M"))
    assert got.duration == timedelta(minutes=20)
    assert [i.duration for i in got.signals[0].intervals] == [timedelta(minutes=15), timedelta(minutes=5)]


def test_modification_number_is_monotonic_and_fits_int32():
    """Later modifications get higher numbers, within a PostgreSQL INTEGER."""
    created = datetime(2026, 7, 1, 11, 0, tzinfo=UTC)
    assert modification_number(created, created) == 0
    first = modification_number(created, datetime(2026, 7, 1, 11, 30, tzinfo=UTC))
    assert modification_number(created, datetime(2026, 7, 1, 11, 30, 0, 100_000, tzinfo=UTC)) == first + 1
    assert 0 < first <= INT32_MAX
    assert modification_number(created, datetime(2033, 6, 1, tzinfo=UTC)) == INT32_MAX  # 6.8 years on
    assert modification_number(created, datetime(2026, 1, 1, tzinfo=UTC)) == 0  # a VTN's clock gone back


def test_own_targets():
    """venName and resource names are the target strings that address this VEN."""
    assert own_targets("fleet-a", ["depot"]) == frozenset({"fleet-a", "depot"})


def test_resource_names_fit_openadr3():
    """One resource per site; a site name over 128 characters is cut and kept unique by a hash."""
    long_a, long_b = "a" * 200, "a" * 199 + "b"
    names = resource_names(["depot", long_a, long_b, "depot"])
    assert names[0] == "depot"
    assert len(names) == 3
    assert all(len(n) <= 128 for n in names)
    assert names[1] != names[2]


@pytest.mark.parametrize(
    "broken",
    [
        {"intervals": []},
        {"intervals": None},
        {"intervalPeriod": None},
        {"id": "bad id!"},
        {"intervals": [{"id": 0, "payloads": []}]},
        {
            "intervalPeriod": None,
            "intervals": [
                {
                    "id": 0,
                    "intervalPeriod": {"start": "2026-07-01T13:00:00Z", "duration": "PT15M"},
                    "payloads": [{"type": "SIMPLE", "values": [1]}],
                },
                {
                    "id": 1,
                    "intervalPeriod": {"start": "2026-07-01T14:00:00Z", "duration": "PT15M"},
                    "payloads": [{"type": "SIMPLE", "values": [1]}],
                },
            ],
        },
        {"modificationDateTime": "yesterday"},
    ],
)
def test_malformed_events_are_refused(broken: dict[str, Any]):
    """No interval, no timing, a bad id, no payload, an interval gap, a bad time: MalformedEventError."""
    with pytest.raises(MalformedEventError):
        convert(event(**broken))


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "PT15M",
            "P9999Y",
            "-PT5M",
            "PT0S",
            "P1Y2M3DT4H5M6.5S",
            "0001-01-01T00:00:00Z",
            "2026-07-01T13:00:00Z",
            "2026-07-01T13:00:00+14:00",
            "9999-12-31T23:59:59Z",
        ]
    ),
)
_durations = st.sampled_from(["PT15M", "PT1S", "P9999Y", "PT0S", "-PT5M", "P1W", "PT0.5S", "P100000D"])
_starts = st.sampled_from(
    ["2026-07-01T13:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:00:00Z", "2026-07-01T13:00:00-12:00"]
)
_payload_types = st.sampled_from(
    [
        "SIMPLE",
        "DISPATCH_SETPOINT",
        "DISPATCH_SETPOINT_RELATIVE",
        "IMPORT_CAPACITY_LIMIT",
        "PRICE",
        "X_LOAD_CONTROL_CAPACITY",
        "EXPORT_CAPACITY_LIMIT",
        "CHARGE_STATE_SETPOINT",
    ]
)
_periods = st.fixed_dictionaries(
    {}, optional={"start": _starts, "duration": _durations, "randomizeStart": _durations}
)
_payloads = st.fixed_dictionaries(
    {
        "type": _payload_types,
        "values": st.lists(st.one_of(st.floats(-1e6, 1e6), st.integers(-5, 5), _scalars), max_size=4),
    }
)
_intervals = st.fixed_dictionaries(
    {"id": st.one_of(st.integers(-3, 2**31), _scalars), "payloads": st.lists(_payloads, max_size=3)},
    optional={"intervalPeriod": _periods},
)
_events = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["evt-1", "", "x" * 200, "bad id"]),
        "createdDateTime": _starts,
        "modificationDateTime": _starts,
        "objectType": st.just("EVENT"),
        "programID": st.just("prg-1"),
    },
    optional={
        "priority": st.one_of(st.integers(-1, 2**32), _scalars),
        "duration": _durations,
        "targets": st.one_of(st.none(), st.lists(st.text(max_size=5), max_size=3)),
        "payloadDescriptors": st.lists(
            st.fixed_dictionaries(
                {"objectType": st.just("EVENT_PAYLOAD_DESCRIPTOR"), "payloadType": _payload_types},
                optional={"units": st.sampled_from(["KW", "W", "MW", "KWH", "x"])},
            ),
            max_size=3,
        ),
        "intervalPeriod": _periods,
        "intervals": st.lists(_intervals, max_size=4),
    },
)


@given(_events)
def test_generated_events_convert_or_are_refused(raw: dict[str, Any]):
    """Any generated 3.1 event converts into a DrEvent or raises MalformedEventError, never anything else."""
    try:
        got = convert(raw)
    except MalformedEventError:
        return
    assert got.signals
    assert 0 <= got.modification_number <= INT32_MAX
    for signal in got.signals:
        assert (signal.kind is None) == bool(signal.problem)
