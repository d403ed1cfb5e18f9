"""RuntimeVenClient: VenClient plus three things the runtime needs that VenClient does not offer yet.

An adapter until VenClient grows them (see the runtime's report):
1. answer each (eventID, modificationNumber) once, across restarts: answers the store already holds are
   left out of oadrCreatedEvent, and an answer counts as given only once the VTN acknowledged it;
2. link state: whether the last oadrPoll got an answer (telemetry taken while it is down is kept);
3. send stored telemetry samples as an oadrUpdateReport of their own (with their own timestamps).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openleadr import objects, utils

from ven.openadr.client import VenClient
from ven.openadr.models import ResponseCode
from ven.openadr.reports import USAGE_REPORT

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GivenAnswer:
    event_id: str
    modification_number: int
    opt: str
    reason: str


@dataclass(frozen=True, slots=True)
class ReportRequest:
    report_request_id: str
    r_ids: tuple[str, ...]


class RuntimeVenClient(VenClient):
    def __init__(
        self,
        *args: Any,
        answered: Callable[[str, int], bool],
        on_answered: Callable[[Sequence[GivenAnswer]], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._answered = answered
        self._on_answered = on_answered
        self.link_up = False
        self.created_events_sent = 0

    async def poll_once(self) -> str | None:
        message_type = await super().poll_once()
        if self.link_up != (message_type is not None):
            logger.warning("VTN link %s", "up" if message_type is not None else "DOWN")
        self.link_up = message_type is not None
        return message_type

    async def start(self) -> Any:
        registration = await super().start()
        self.link_up = True
        return registration

    async def _answer_distribution(self, payload: dict[str, Any]) -> None:
        responses = await self._responder.respond(payload)
        fresh = [
            r for r in responses if not self._answered(str(r["event_id"]), int(r["modification_number"]))
        ]
        if not fresh:
            return
        client = self._client
        message = client._create_message(  # noqa: SLF001 - openleadr's message factory
            "oadrCreatedEvent",
            response={
                "response_code": int(ResponseCode.OK),
                "response_description": "OK",
                "request_id": payload.get("request_id"),
            },
            event_responses=fresh,
            ven_id=client.ven_id,
        )
        self.created_events_sent += 1
        message_type, answer = await client._perform_request("EiEvent", message)  # noqa: SLF001
        code = (answer.get("response") or {}).get("response_code")
        if message_type == "oadrResponse" and code in (None, ResponseCode.OK):
            self._on_answered(
                [
                    GivenAnswer(
                        str(r["event_id"]),
                        int(r["modification_number"]),
                        str(r["opt_type"]),
                        str(r["response_description"]),
                    )
                    for r in fresh
                ]
            )
        else:
            logger.warning("oadrCreatedEvent not acknowledged (%s); will answer again", message_type)

    def usage_report_requests(self) -> list[ReportRequest]:
        """The VTN's live requests for TELEMETRY_USAGE (it may ask for several, or none)."""
        return [
            ReportRequest(str(r["report_request_id"]), tuple(r["r_ids"]))
            for r in self._client.report_requests
            if r["report_specifier_id"] == USAGE_REPORT
        ]

    async def send_usage(
        self, request: ReportRequest, intervals: Sequence[tuple[datetime, str, float]]
    ) -> bool:
        """One oadrUpdateReport carrying (dtstart, r_id, kW) intervals; True once the VTN acknowledged."""
        report = objects.Report(
            report_request_id=request.report_request_id,
            report_specifier_id=USAGE_REPORT,
            report_name=USAGE_REPORT,
            intervals=[
                objects.ReportInterval(
                    dtstart=ts, report_payload=objects.ReportPayload(r_id=r_id, value=value)
                )
                for ts, r_id, value in intervals
            ],
            dtstart=min(ts for ts, _, _ in intervals),
        )
        client = self._client
        message = client._create_message(  # noqa: SLF001 - openleadr's message factory
            "oadrUpdateReport",
            ven_id=client.ven_id,
            request_id=utils.generate_id(),
            reports=[report],
        )
        message_type, _ = await client._perform_request("EiReport", message)  # noqa: SLF001
        return message_type == "oadrUpdatedReport"
