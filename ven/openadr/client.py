"""VenClient: registration, polling, event answers and reports over openleadr, driven by us, not run().

openleadr's run() registers once (giving up for good if the VTN is down), syncs events, polls once and
schedules polling plus two event-status jobs on its APScheduler; its re-registration stops the client if
the VTN does not answer and starts a second report worker. VenClient does those steps itself: register
with capped exponential backoff, register reports, oadrRequestEvent, then poll every
requestedOadrPollFreq from its own task. openleadr's scheduler only runs the report sampling jobs.

Answers are given once: `answered(event_id, modification_number)` lets the runtime say which it already
gave (before a restart, say), and `on_answered` hears each answer only once the VTN acknowledged it.
Reports are ours end to end (ven.openadr.reports, reporting, wire): registered with our own
oadrRegisterReport, requests answered with the right codes, each sent once per its reportBackDuration by
a report task from the runtime's sources (usage is store and forward: nothing from a VTN outage is lost).
openleadr's report jobs are never used. EiOpt: `create_opt` / `cancel_opt` (oadrCreateOpt /
oadrCancelOpt, rendered by ven.openadr.wire), True once the VTN acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from typing import Any

from openleadr import utils

from ven.clock import Clock, SystemClock
from ven.errors import V2XError
from ven.openadr import wire
from ven.openadr.events import DistributionHandler, EventHandler, EventResponder, GivenAnswer
from ven.openadr.models import ResponseCode
from ven.openadr.reporting import Reporter, ReportRequest, ReportRequestError, answer_code, parse_request
from ven.openadr.reports import ReportSources, catalog
from ven.openadr.workarounds import PatchedClient
from ven.security.settings import Security

__all__ = [
    "Backoff",
    "GivenAnswer",
    "Registration",
    "RegistrationError",
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
        clock: Clock | None = None,
        report_tick: timedelta | None = None,
        report_batch: int = 500,
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
        self._clock = clock or SystemClock()
        self._link_up = False
        self._reporter = None if reports is None else Reporter(reports, catalog(reports), report_batch)
        # How often due reports are looked for (wall seconds); default: the sampling period.
        tick = report_tick or (reports.sampling if reports is not None else timedelta(seconds=10))
        self._report_tick_s = tick.total_seconds()
        self._report_task: asyncio.Task[None] | None = None
        self._answered_at: float | None = None  # time.monotonic() of the VTN's last answer to a poll

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
        if self._reporter is not None:
            self._report_task = asyncio.create_task(self._report_forever())
        return self._require_registration()

    async def stop(self) -> None:
        for task in (self._poller, self._report_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        client = self._client
        if client.client_session is not None:
            await client.client_session.close()

    async def wait(self) -> None:
        """Until the poll or report loop ends: never, unless a callback raised (re-raised here) or stop()."""
        tasks = [t for t in (self._poller, self._report_task) if t is not None]
        if tasks:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()

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
            await self._create_reports(payload)
        elif message_type == "oadrCancelReport":
            await self._cancel_report(payload)
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
        if self._reporter is not None:
            await self._register_reports(self._reporter)
        message_type, payload = await client.request_event()
        if message_type == "oadrDistributeEvent":
            await self._answer_distribution(payload)
        return message_type  # type: ignore[no-any-return]

    async def _reregister(self, *, acknowledge: bool) -> None:
        """oadrRequestReregistration: acknowledge, register again keeping the registrationID, start over."""
        if acknowledge:
            await self._client.send_response(service="EiRegisterParty")
        if self._reporter is not None:
            self._reporter.clear()  # the VTN requests them anew
        previous = self._registration.registration_id if self._registration else None
        await self._register(registration_id=previous)
        await self._after_registration()

    # -- reports ----------------------------------------------------------------------------------

    def report_requests(self, specifier_id: str | None = None) -> list[ReportRequest]:
        """The VTN's live requests (for one of our reports, or all)."""
        if self._reporter is None:
            return []
        return [r for r in self._reporter.requests if specifier_id is None or r.specifier_id == specifier_id]

    async def _register_reports(self, reporter: Reporter) -> None:
        client = self._client
        message = wire.register_report(
            reporter.catalog.offers, client.ven_id, utils.generate_id(), self._clock.now()
        )
        message_type, payload = await client.send_signed("EiReport", wire.serialize(message))
        if message_type is None:  # the VTN will request none of them: say so, and why if it is the size
            why = ""
            if client.last_status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
                why = f" (HTTP 413: its {len(reporter.catalog.offers)} reports are over the VTN's size limit)"
            logger.error(
                "oadrRegisterReport not accepted%s: the VTN will request no reports until the VEN registers "
                "again",
                why,
            )
            return
        if message_type == "oadrRegisteredReport" and payload.get("report_requests"):
            await self._create_reports(payload)

    async def _create_reports(self, payload: dict[str, Any]) -> None:
        """Take the VTN's report requests; oadrCreatedReport lists the accepted ones, and the first
        refusal's code (461 unknown report, 452 unknown r_id, 454 bad granularity or interval)."""
        reporter = self._reporter
        accepted: list[str] = []
        errors: list[ReportRequestError] = []
        now = self._clock.now()
        for raw in payload.get("report_requests") or []:
            if reporter is None:
                errors.append(
                    ReportRequestError(ResponseCode.REPORT_NOT_SUPPORTED, "this VEN offers no reports")
                )
                continue
            try:
                request = parse_request(raw, reporter.catalog)
            except ReportRequestError as err:
                logger.warning("refused report request %s: %s", raw.get("report_request_id"), err.problem)
                errors.append(err)
                continue
            reporter.accept(request, now)
            accepted.append(request.report_request_id)
        code, description = answer_code(errors)
        request_id = payload.get("request_id") or (payload.get("response") or {}).get("request_id")
        message = wire.created_report(code, description, request_id, accepted, self._client.ven_id or "")
        await self._client.send_signed("EiReport", wire.serialize(message))

    async def _cancel_report(self, payload: dict[str, Any]) -> None:
        """oadrCancelReport: a final report first when reportToFollow, then oadrCanceledReport."""
        ids = payload.get("report_request_id")
        ids = [str(i) for i in (ids if isinstance(ids, list) else [ids]) if i is not None]
        reporter = self._reporter
        known = (
            []
            if reporter is None
            else [i for i in ids if i in {r.report_request_id for r in reporter.requests}]
        )
        if reporter is not None and known and payload.get("report_to_follow") is True:
            await self.send_due_reports(final=frozenset(known))
        for request_id in known:
            reporter.cancel(request_id)  # type: ignore[union-attr]  # known is empty without a reporter
        unknown = [i for i in ids if i not in known]
        if unknown:
            logger.warning("VTN cancelled report requests %s, which are not live", unknown)
        remaining = [] if reporter is None else [r.report_request_id for r in reporter.requests]
        code, description = (
            (ResponseCode.INVALID_ID, f"unknown reportRequestID {unknown[0]}")
            if unknown
            else (ResponseCode.OK, "OK")
        )
        message = wire.canceled_report(
            int(code), description, payload.get("request_id"), remaining, self._client.ven_id or ""
        )
        await self._client.send_signed("EiReport", wire.serialize(message))

    async def _report_forever(self) -> None:
        while True:
            await asyncio.sleep(self._report_tick_s)
            if self._link_up:
                await self.send_due_reports()

    async def send_due_reports(self, final: frozenset[str] = frozenset()) -> int:
        """Send every report due now (and those of `final`, due or not); how many were acknowledged."""
        reporter = self._reporter
        if reporter is None:
            return 0
        acknowledged = 0
        for request_id, data in reporter.due(self._clock.now(), force=final):
            ok = await self._send_report(data)
            too_large = not ok and self._client.last_status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            reporter.sent(request_id, data, self._clock.now(), acknowledged=ok, too_large=too_large)
            acknowledged += ok
        return acknowledged

    async def _send_report(self, data: wire.ReportData) -> bool:
        client = self._client
        message = wire.update_report([data], client.ven_id or "", utils.generate_id())
        message_type, payload = await client.send_signed("EiReport", wire.serialize(message))
        if message_type != "oadrUpdatedReport" or not _ok(payload):
            logger.warning(
                "report %s for request %s not acknowledged", data.report_id, data.report_request_id
            )
            return False
        cancel = payload.get("cancel_report")
        if isinstance(cancel, dict):
            await self._cancel_report(cancel)
        return True

    # -- EiOpt ------------------------------------------------------------------------------------

    async def create_opt(self, opt: wire.OptMessage) -> bool:
        """Send one oadrCreateOpt; True once the VTN acknowledged it (oadrCreatedOpt with our optID)."""
        message_type, payload = await self._client.send_signed("EiOpt", wire.serialize(wire.create_opt(opt)))
        ok = message_type == "oadrCreatedOpt" and _ok(payload) and payload.get("opt_id") == opt.opt_id
        if not ok:
            logger.warning("oadrCreateOpt %s not acknowledged (%s)", opt.opt_id, message_type)
        return ok

    async def cancel_opt(self, opt_id: str) -> bool:
        """Send oadrCancelOpt; True once the VTN acknowledged it (oadrCanceledOpt)."""
        client = self._client
        message = wire.cancel_opt(opt_id, client.ven_id or "", utils.generate_id())
        message_type, payload = await client.send_signed("EiOpt", wire.serialize(message))
        ok = message_type == "oadrCanceledOpt" and _ok(payload)
        if not ok:
            logger.warning("oadrCancelOpt %s not acknowledged (%s)", opt_id, message_type)
        return ok

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


def _ok(payload: dict[str, Any]) -> bool:
    code = (payload.get("response") or {}).get("response_code")
    return code in (None, ResponseCode.OK, int(ResponseCode.OK), str(int(ResponseCode.OK)))
