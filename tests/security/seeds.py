"""Valid OpenADR 2.0b messages to mutate: oadrDistributeEvent, oadrResponse, oadrRegisterReport."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from openleadr.messaging import create_message

from tests.openadr.conftest import raw_event
from ven.openadr import wire
from ven.openadr.reports import ReportSources, catalog
from ven.security.signing import wrap
from ven.storage import Store
from ven.telemetry.series import StatusLog, UsageHistory


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
    """What our VEN sends as oadrRegisterReport (rendered, not sent)."""
    with Store.open("sqlite:///:memory:") as store:
        sources = ReportSources(UsageHistory(store), StatusLog(), sites=("depot-a",), ev_ids=("ev-1",))
        offers = catalog(sources).offers
    return wrap(wire.serialize(wire.register_report(offers, "ven-1", "req-1", datetime.now(UTC))), None)
