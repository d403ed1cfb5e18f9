"""Answering oadrDistributeEvent: typed events to the runtime, its decisions back as eventResponses."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ven.openadr.models import (
    Distribution,
    EventRejectedError,
    EventStatus,
    OadrEvent,
    OptDecision,
    ResponseRequired,
    event_from_openleadr,
)
from ven.openadr.signals import check_supported

logger = logging.getLogger(__name__)

EventHandler = Callable[[OadrEvent], Awaitable[OptDecision]]
DistributionHandler = Callable[[Distribution], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class EventResponse:
    """One eiEventResponse of an oadrCreatedEvent."""

    event_id: str
    modification_number: int
    decision: OptDecision

    def as_openleadr(self, request_id: str) -> dict[str, Any]:
        return {
            "response_code": int(self.decision.response_code),
            "response_description": self.decision.reason,
            "request_id": request_id,
            "event_id": self.event_id,
            "modification_number": self.modification_number,
            "opt_type": self.decision.opt.value,
        }


@dataclass(frozen=True, slots=True)
class GivenAnswer:
    """An event answer the VTN acknowledged: the runtime persists it so it is never given twice."""

    event_id: str
    modification_number: int
    opt: str
    reason: str

    @classmethod
    def of(cls, response: dict[str, Any]) -> GivenAnswer:
        return cls(
            str(response["event_id"]),
            int(response["modification_number"]),
            str(response["opt_type"]),
            str(response["response_description"]),
        )


class EventResponder:
    """Decides each event once per modification number and says which decisions the VTN must hear.

    The runtime's `on_event` is asked only about new or modified events; an unchanged event re-sent by
    the VTN gets the same answer again. Events the VEN cannot take (unsupported signal, malformed) are
    answered optOut with the error's response code without asking the runtime. Cancelled events are
    passed on without a signal check (rule 21: no error for a cancelled event, even an unknown one).
    Exceptions from the runtime's callbacks propagate: a runtime bug is not an opt-out.
    """

    def __init__(self, on_event: EventHandler, on_distribution: DistributionHandler | None = None) -> None:
        self._on_event = on_event
        self._on_distribution = on_distribution
        self._decided: dict[str, tuple[int, OptDecision]] = {}

    async def respond(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """The eventResponses (openleadr dicts) for one parsed oadrDistributeEvent; empty = send nothing."""
        request_id = str(payload.get("request_id", ""))
        raw_events = [e for e in payload.get("events") or [] if isinstance(e, dict)]
        parsed = [self._parse(raw) for raw in raw_events]
        events = tuple(e for e in parsed if isinstance(e, OadrEvent))
        ids = tuple(dict.fromkeys(_raw_id(raw) for raw in raw_events if _raw_id(raw)))
        if self._on_distribution is not None:
            await self._on_distribution(Distribution(request_id, payload.get("vtn_id"), ids, events))
        responses = []
        for raw, event in zip(raw_events, parsed, strict=True):
            response = await self._decide(raw, event)
            if response is not None and _response_required(raw, event):
                responses.append(response.as_openleadr(request_id))
        for stale in set(self._decided) - set(ids):
            del self._decided[stale]
        return responses

    @staticmethod
    def _parse(raw: dict[str, Any]) -> OadrEvent | EventRejectedError:
        try:
            return event_from_openleadr(raw)
        except EventRejectedError as err:
            logger.warning("malformed event from the VTN: %s", err)
            return err

    async def _decide(
        self, raw: dict[str, Any], event: OadrEvent | EventRejectedError
    ) -> EventResponse | None:
        if isinstance(event, EventRejectedError):
            modification = (raw.get("event_descriptor") or {}).get("modification_number")
            if event.event_id is None or not isinstance(modification, int):
                return None  # nothing the VTN could match an answer to
            return EventResponse(
                event.event_id, modification, OptDecision.opt_out(event.problem, event.response_code)
            )
        known = self._decided.get(event.event_id)
        if known is not None and known[0] == event.modification_number:
            return EventResponse(event.event_id, event.modification_number, known[1])
        decision = await self._ask(event)
        self._decided[event.event_id] = (event.modification_number, decision)
        return EventResponse(event.event_id, event.modification_number, decision)

    async def _ask(self, event: OadrEvent) -> OptDecision:
        # The runtime may raise the same typed errors (e.g. from signals.event_request): same answer.
        try:
            if event.event_status is not EventStatus.CANCELLED:
                check_supported(event)
            return await self._on_event(event)
        except EventRejectedError as err:
            logger.warning("opting out: %s", err)
            return OptDecision.opt_out(err.problem, err.response_code)


def _raw_id(raw: dict[str, Any]) -> str:
    event_id = (raw.get("event_descriptor") or {}).get("event_id")
    return "" if event_id is None else str(event_id)


def _response_required(raw: dict[str, Any], event: OadrEvent | EventRejectedError) -> bool:
    if isinstance(event, OadrEvent):
        return event.response_required is ResponseRequired.ALWAYS
    return bool(raw.get("response_required") != ResponseRequired.NEVER.value)
