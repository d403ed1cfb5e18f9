"""VenClient: registration, polling, event answers and reports over openleadr, driven by us, not run().

openleadr's run() registers once (giving up for good if the VTN is down), syncs events, polls once and
schedules polling plus two event-status jobs on its APScheduler; its re-registration stops the client if
the VTN does not answer and starts a second report worker. VenClient does those steps itself: register
with capped exponential backoff, register reports, oadrRequestEvent, then poll every
requestedOadrPollFreq from its own task. openleadr's scheduler only runs the report sampling jobs.

Answers are given once: `answered(event_id, modification_number)` lets the runtime say which it already
gave (before a restart, say), and `on_answered` hears each answer only once the VTN acknowledged it.
Reports named in `forwarded_reports` are store and forward: the runtime keeps samples and sends them with
`send_report`, marking them reported only when the VTN acknowledged them, so nothing from a VTN outage is
lost; the other reports are sampled live by openleadr's jobs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from openleadr import utils

from ven.errors import V2XError
from ven.openadr.events import DistributionHandler, EventHandler, EventResponder, GivenAnswer
from ven.openadr.models import ResponseCode
from ven.openadr.reports import ReportReading, ReportRequest, ReportSources, offer_reports, update_report
from ven.openadr.workarounds import PatchedClient
from ven.security.settings import Security

__all__ = [
    "Backoff",
    "GivenAnswer",
    "Registration",
    "RegistrationError",
    "ReportReading",
    "ReportRequest",
    "Security",
    "VenClient",
]

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
MAX_POLL_INTERVAL = timedelta(hours=24)  # openleadr's limit too
DEFAULT_POLL_INTERVAL = timedelta(seconds=10)
_UNREGISTERED = {ResponseCode.INVALID_ID, ResponseCode.NOT_REGISTERED_OR_AUTHORIZED}


class RegistrationError(V2XError):
    """The VTN did not register the VEN within the allowed attempts."""


@dataclass(frozen=True, slots=True)
class Registration:
    """What the runtime persists so a restarted VEN need not register again."""

    ven_id: str
    registration_id: str
    poll_interval: timedelta = DEFAULT_POLL_INTERVAL


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between registration attempts: initial, times factor each time, at most maximum."""

    initial: timedelta = timedelta(seconds=1)
    factor: float = 2.0
    maximum: timedelta = timedelta(minutes=5)
    attempts: int | None = None  # None: keep trying

    def delay(self, attempt: int) -> float:
        return min(self.initial.total_seconds() * self.factor**attempt, self.maximum.total_seconds())


class VenClient:
    """One VEN's OpenADR 2.0b session with one VTN."""

    def __init__(
        self,
        ven_name: str,
        vtn_url: str,
        *,
        on_event: EventHandler,
        on_distribution: DistributionHandler | None = None,
        on_registration: Callable[[Registration], Awaitable[None]] | None = None,
        reports: ReportSources | None = None,
        registration: Registration | None = None,
        security: Security | None = None,
        backoff: Backoff = Backoff(),
        sleep: Sleep = asyncio.sleep,
        answered: Callable[[str, int], bool] | None = None,
        on_answered: Callable[[Sequence[GivenAnswer]], None] | None = None,
        forwarded_reports: frozenset[str] = frozenset(),
    ) -> None:
        self._client = PatchedClient(
            ven_name,
            vtn_url,
            ven_id=registration.ven_id if registration else None,
            security=security or Security(),
        )
        self._client.event_sink = self._answer_distribution
        self._responder = EventResponder(on_event, on_distribution)
        self._on_registration = on_registration
        self._registration = registration
        self._backoff = backoff
        self._sleep = sleep
        self._poller: asyncio.Task[None] | None = None
        self._answered = answered or (lambda _event_id, _modification: False)
        self._on_answered = on_answered
        self._client.forwarded_reports = forwarded_reports
        self._link_up = False
        self._answered_at: float | None = None  # time.monotonic() of the VTN's last answer to a poll
        if reports is not None:
            offer_reports(self._client, reports)

    @property
    def registration(self) -> Registration | None:
        return self._registration

    @property
    def link_up(self) -> bool:
        """Whether the last exchange with the VTN got a usable answer."""
        return self._link_up

    @property
    def last_poll_age_s(self) -> float | None:
        """Wall seconds since the VTN last answered (registration or poll); None before it ever did."""
        return None if self._answered_at is None else time.monotonic() - self._answered_at

    @property
    def refused_answers(self) -> int:
        """VTN answers refused unparsed as hostile XML (xmlguard) since start."""
        return int(self._client.refused_answers)

    @property
    def untrusted_answers(self) -> int:
        """VTN answers ignored since start: unsigned, badly signed, replayed, or not by the pinned VTN."""
        return int(self._client.untrusted_answers)

    async def start(self) -> Registration:
        """Register (or reuse the stored registration), register reports, fetch events, start polling."""
        client = self._client
        client.loop = asyncio.get_running_loop()
        client.scheduler.start()
        if client.reports:
            client.report_queue_task = client.loop.create_task(client._report_queue_worker())  # noqa: SLF001
        if self._registration is None:
            await self._register()
            await self._after_registration()
        else:  # a stored registration: the VTN asks us to re-register if it no longer knows it
            client.registration_id = self._registration.registration_id
            client.poll_frequency = self._registration.poll_interval
            if await self._after_registration() == "oadrRequestReregistration":
                await self._reregister(acknowledge=True)
        self._link_up = True
        self._answered_at = time.monotonic()
        self._poller = asyncio.create_task(self._poll_forever())
        return self._require_registration()

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        client = self._client
        if client.scheduler.running:
            client.scheduler.shutdown(wait=False)
        if client.report_queue_task is not None:
            client.report_queue_task.cancel()
            await asyncio.gather(client.report_queue_task, return_exceptions=True)
        if client.client_session is not None:
            await client.client_session.close()

    async def wait(self) -> None:
        """Until the poll loop ends: never, unless a runtime callback raised (re-raised here) or stop()."""
        if self._poller is not None:
            await self._poller

    async def poll_once(self) -> str | None:
        """One oadrPoll and its handling; the answer's message type (None: no usable answer)."""
        message_type, payload = await self._client.poll()
        self._link_up = message_type is not None  # the request layer logged why it is not
        if self._link_up:
            self._answered_at = time.monotonic()
        code = (payload.get("response") or {}).get("response_code")
        if message_type == "oadrRequestReregistration" or code in _UNREGISTERED:
            await self._reregister(acknowledge=message_type == "oadrRequestReregistration")
        elif message_type == "oadrDistributeEvent":
            await self._answer_distribution(payload)
        elif message_type in ("oadrCreateReport", "oadrRegisteredReport"):
            await self._client.create_report(payload)
        elif message_type == "oadrCancelReport":
            await self._client.cancel_report(payload)
        elif message_type not in (None, "oadrResponse"):
            logger.warning("no handler for %s from the VTN; ignored", message_type)
        return message_type  # type: ignore[no-any-return]

    async def _poll_forever(self) -> None:
        while True:
            await self._sleep(self._require_registration().poll_interval.total_seconds())
            await self.poll_once()

    async def _register(self, registration_id: str | None = None) -> None:
        """oadrQueryRegistration + oadrCreatePartyRegistration until registered, backing off between tries."""
        client = self._client
        attempt = 0
        while True:
            client.registration_id = None
            answer_type, _ = await client.query_registration()
            if answer_type is not None:  # else the VTN gave no answer: no point in asking it again now
                await client.create_party_registration(ven_id=client.ven_id, registration_id=registration_id)
            if client.registration_id and client.ven_id:
                break
            if self._backoff.attempts is not None and attempt + 1 >= self._backoff.attempts:
                raise RegistrationError(f"VTN {client.vtn_url} did not register us in {attempt + 1} attempts")
            delay = self._backoff.delay(attempt)
            logger.warning("registration attempt %d failed; next in %.1f s", attempt + 1, delay)
            await self._sleep(delay)
            attempt += 1
        interval = min(client.poll_frequency or DEFAULT_POLL_INTERVAL, MAX_POLL_INTERVAL)
        self._registration = Registration(client.ven_id, client.registration_id, interval)
        logger.info(
            "registered as venID %s (registrationID %s), polling every %s",
            client.ven_id,
            client.registration_id,
            interval,
        )
        if self._on_registration is not None:
            await self._on_registration(self._registration)

    async def _after_registration(self) -> str | None:
        """oadrRegisterReport (its answer may request reports), then oadrRequestEvent; its answer type."""
        client = self._client
        if client.reports:
            await client.register_reports(client.reports)
        message_type, payload = await client.request_event()
        if message_type == "oadrDistributeEvent":
            await self._answer_distribution(payload)
        return message_type  # type: ignore[no-any-return]

    async def _reregister(self, *, acknowledge: bool) -> None:
        """oadrRequestReregistration: acknowledge, register again keeping the registrationID, start over."""
        if acknowledge:
            await self._client.send_response(service="EiRegisterParty")
        self._client.clear_report_requests()
        previous = self._registration.registration_id if self._registration else None
        await self._register(registration_id=previous)
        await self._after_registration()

    def report_requests(self, report_specifier_id: str) -> list[ReportRequest]:
        """The VTN's live requests for one of our reports (it may ask for several, or none)."""
        return [
            ReportRequest(
                str(r["report_request_id"]),
                str(r["report_specifier_id"]),
                tuple(r["r_ids"]),
                r.get("granularity"),
                r.get("report_back_duration") or timedelta(0),
            )
            for r in self._client.report_requests
            if r["report_specifier_id"] == report_specifier_id
        ]

    async def send_report(self, request: ReportRequest, readings: Sequence[ReportReading]) -> bool:
        """One oadrUpdateReport with stored readings (own timestamps); True once the VTN acknowledged it."""
        if not readings:
            return True
        client = self._client
        message = client._create_message(  # noqa: SLF001 - our signing factory (workarounds.PatchedClient)
            "oadrUpdateReport",
            ven_id=client.ven_id,
            request_id=utils.generate_id(),
            reports=[update_report(request, readings)],
        )
        message_type, _ = await client._perform_request("EiReport", message)  # noqa: SLF001
        return message_type == "oadrUpdatedReport"

    async def _answer_distribution(self, payload: dict[str, Any]) -> None:
        responses = [
            r
            for r in await self._responder.respond(payload)
            if not self._answered(str(r["event_id"]), int(r["modification_number"]))
        ]
        if not responses:  # nothing new to say, or responseRequired 'never' on every event
            return
        client = self._client
        message = client._create_message(  # noqa: SLF001
            "oadrCreatedEvent",
            response={
                "response_code": int(ResponseCode.OK),
                "response_description": "OK",
                "request_id": payload.get("request_id"),
            },
            event_responses=responses,
            ven_id=client.ven_id,
        )
        message_type, answer = await client._perform_request("EiEvent", message)  # noqa: SLF001
        code = (answer.get("response") or {}).get("response_code")
        if message_type != "oadrResponse" or code not in (None, ResponseCode.OK, int(ResponseCode.OK)):
            logger.warning(
                "oadrCreatedEvent not acknowledged (%s, %s); will answer again", message_type, code
            )
            return
        if self._on_answered is not None:
            self._on_answered([GivenAnswer.of(r) for r in responses])

    def _require_registration(self) -> Registration:
        if self._registration is None:
            raise RegistrationError("not registered")
        return self._registration
