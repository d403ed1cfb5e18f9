"""Which offered reports the mock VTN asks for: `[vtn] request_forecast` and `request_status`."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest

from vtn_mock.reports import report_requests


def _offer(name: str) -> dict[str, Any]:
    return {
        "report_name": f"METADATA_{name}",
        "report_specifier_id": name,
        "report_descriptions": [
            {
                "r_id": f"{name}.1",
                "reading_type": "Direct Read",
                "sampling_rate": {"min_period": timedelta(minutes=1), "max_period": timedelta(hours=1)},
            }
        ],
    }


OFFERED = [_offer(n) for n in ("TELEMETRY_USAGE", "TELEMETRY_STATUS", "x-FLEXIBILITY_FORECAST")]


@pytest.mark.parametrize(
    ("forecast", "status", "asked"),
    [
        (True, True, {"TELEMETRY_USAGE", "TELEMETRY_STATUS", "x-FLEXIBILITY_FORECAST"}),
        (False, True, {"TELEMETRY_USAGE", "TELEMETRY_STATUS"}),
        (True, False, {"TELEMETRY_USAGE", "x-FLEXIBILITY_FORECAST"}),
        (False, False, {"TELEMETRY_USAGE"}),
    ],
)
def test_forecast_and_status_are_asked_for_unless_turned_off(
    forecast: bool, status: bool, asked: set[str]
) -> None:
    ids = (f"rr-{i}" for i in itertools.count())
    found = report_requests(
        OFFERED, timedelta(minutes=15), lambda: next(ids), forecast=forecast, status=status
    )
    assert {specifier for specifier, _ in found} == asked
