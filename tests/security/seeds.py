"""Valid OpenADR 2.0b messages to mutate: oadrDistributeEvent, oadrResponse, oadrRegisterReport."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from openleadr.messaging import create_message

from tests.openadr.conftest import raw_event
from ven.openadr.reports import ReportSources, offer_reports
from ven.openadr.workarounds import PatchedClient


def _levels() -> list[dict[str, Any]]:
    return [{"duration": timedelta(minutes=15), "uid": 0, "signal_payload": 2}]


def distribute_event(**render: Any) -> str:
    return str(
        create_message(
            "oadrDistributeEvent",
            request_id="req-1",
            vtn_id="FUZZ-VTN",
            events=[
                raw_event(),
                raw_event(event_id="e2", signal_name="SIMPLE", intervals=_levels(), signal_type="level"),
            ],
            **render,
        )
    )


def response(**render: Any) -> str:
    return str(
        create_message(
            "oadrResponse",
            ven_id="ven-1",
            **render,
            response={"response_code": 200, "response_description": "OK", "request_id": "req-1"},
        )
    )


def register_report() -> str:
    """What our VEN sends as oadrRegisterReport (captured, not sent)."""
    sent: list[str] = []

    async def capture(_service: str, message: str) -> tuple[None, dict[str, Any]]:
        sent.append(message)
        return None, {}

    async def build() -> None:
        client = PatchedClient("fuzz-ven", "http://127.0.0.1:1", ven_id="ven-1")
        offer_reports(
            client,
            ReportSources(
                usage_kw=lambda: 1.0,
                baseline_kw=lambda: 2.0,
                delta_usage_kw=lambda: 1.0,
                online=lambda: True,
                available_reduction_kw=lambda: 3.0,
                stored_energy_kwh=lambda: 4.0,
            ),
        )
        client._perform_request = capture  # type: ignore[method-assign,assignment]
        await client.register_reports(client.reports)

    asyncio.run(build())
    return sent[0]
