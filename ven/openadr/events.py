"""Answering oadrDistributeEvent: typed events to the runtime, its answers back as eventResponses."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ven.events.answers import Answer
from ven.events.model import Distribution, DrEvent, EventRejectedError, ResponseRequired
from ven.events.signals import refusal
from ven.openadr.answers import response_code
from ven.openadr.models import event_from_openleadr

logger = logging.getLogger(__name__)

EventHandler = Callable[[DrEvent], Awaitable[Answer]]
DistributionHandler = Callable[[Distribution], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class EventResponse:
    """One eiEventResponse of an oadrCreatedEvent."""

    event_id: str
    modification_number: int
    answer: Answer

    def as_openleadr(self, request_id: str) -> dict[str, Any]:
        return {
            "response_code": int(response_code(self.answer)),
            "response_description": self.answer.reason,
            "request_id": request_id,
            "event_id": self.event_id,
            "modification_number": self.modification_number,
            "opt_type": self.answer.opt.value,
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
    """Converts each oadrDistributeEvent for the runtime and its answers into eventResponses.

    The runtime's `on_event` is asked about every event of every distribution and answers each from one
    place (its event book): the same answer again for an event it has seen, a decision for a new or
    modified one, the edge's refusal for one it cannot convert (ven.events.signals.convertible). Only
    an event that does not parse at all is answered here (optOut with the error's code): there is no
    event to keep. Exceptions from the runtime's callbacks propagate: a runtime bug is not an opt-out.
    """

    def __init__(self, on_event: EventHandler, on_distribution: DistributionHandler | None = None) -> None:
        self._on_event = on_event
        self._on_distribution = on_distribution

    async def respond(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """The eventResponses (openleadr dicts) for one parsed oadrDistributeEvent; empty = send nothing."""
        request_id = str(payload.get("request_id", ""))
        raw_events = [e for e in payload.get("events") or [] if isinstance(e, dict)]
        parsed = [self._parse(raw) for raw in raw_events]
        events = tuple(e for e in parsed if isinstance(e, DrEvent))
        ids = tuple(dict.fromkeys(_raw_id(raw) for raw in raw_events if _raw_id(raw)))
        if self._on_distribution is not None:
            await self._on_distribution(Distribution(request_id, payload.get("vtn_id"), ids, events))
        responses = []
        for raw, event in zip(raw_events, parsed, strict=True):
            response = await self._answer(raw, event)
            if response is not None and _response_required(raw, event):
                responses.append(response.as_openleadr(request_id))
        return responses

    @staticmethod
    def _parse(raw: dict[str, Any]) -> DrEvent | EventRejectedError:
        try:
            return event_from_openleadr(raw)
        except EventRejectedError as err:
            logger.warning("malformed event from the VTN: %s", err)
            return err

    async def _answer(self, raw: dict[str, Any], event: DrEvent | EventRejectedError) -> EventResponse | None:
        if isinstance(event, EventRejectedError):
            modification = (raw.get("event_descriptor") or {}).get("modification_number")
            if event.event_id is None or not isinstance(modification, int):
                return None  # nothing the VTN could match an answer to
            return EventResponse(event.event_id, modification, refusal(event))
        return EventResponse(event.event_id, event.modification_number, await self._on_event(event))


def _raw_id(raw: dict[str, Any]) -> str:
    event_id = (raw.get("event_descriptor") or {}).get("event_id")
    return "" if event_id is None else str(event_id)


def _response_required(raw: dict[str, Any], event: DrEvent | EventRejectedError) -> bool:
    if isinstance(event, DrEvent):
        return event.response_required is ResponseRequired.ALWAYS
    return bool(raw.get("response_required") != ResponseRequired.NEVER.value)
