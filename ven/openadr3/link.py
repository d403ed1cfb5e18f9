"""The VEN's 3.1 link: register, poll programs and events, hand them to the core, send the reports owed.

Polling is the floor; with a webhook (`[ven] webhook_listen`) the VTN's notifications make it poll at once
(openadr3.yaml has no poll frequency: the mock VTN tells it in each program's private
attribute X_POLL_INTERVAL; without one, `DEFAULT_POLL_INTERVAL`). Each poll's event list is one
Distribution (so an event the VTN deleted is cancelled by the book: 3.1 deletes, it does not cancel), then
each converted event is decided through `on_event`. 3.1 has no opt message: an optOut is logged and kept
by the core (it never reaches dispatch); the VTN learns nothing of it. Reports go out from their own task
(ven.openadr3.reporting). Errors of the VTN (ven.openadr3.client.OpenADR3Error) mark the link down and are
retried at the next poll, with capped backoff while registering.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ven.events.answers import Answer, Opt
from ven.events.model import Distribution, DrEvent, MalformedEventError
from ven.openadr3.client import OpenADR3Error, Vtn3Client, VtnHttpError
from ven.openadr3.convert import event_from_json
from ven.openadr3.models import Event, Program
from ven.openadr3.reporting import Reporter3, send_due
from ven.openadr3.timing import parse_duration
from ven.openadr3.webhook import WebhookReceiver

if TYPE_CHECKING:
    from ven.clock import Clock
    from ven.openadr.wire import OptMessage

logger = logging.getLogger(__name__)

POLL_ATTRIBUTE = "X_POLL_INTERVAL"
DEFAULT_POLL_INTERVAL = timedelta(seconds=10)
MIN_POLL_INTERVAL = timedelta(seconds=1)
MAX_POLL_INTERVAL = timedelta(hours=24)
MAX_BACKOFF_S = 300.0

DistributionHandler = Callable[[Distribution], Awaitable[None]]
EventHandler = Callable[[DrEvent], Awaitable[Answer]]


@dataclass(frozen=True, slots=True)
class Registration:
    """This VEN's ven object at the VTN, and how often it polls."""

    ven_id: str
    registration_id: str  # 3.1 has none: the ven object's id again, for views that show one
    poll_interval: timedelta = DEFAULT_POLL_INTERVAL


class OpenADR3Link:
    def __init__(
        self,
        ven_name: str,
        client: Vtn3Client,
        *,
        on_distribution: DistributionHandler,
        on_event: EventHandler,
        reporter: Reporter3,
        resources: tuple[str, ...],
        clock: Clock,
        on_registration: Callable[[Registration], None] | None = None,
        report_tick: timedelta = timedelta(seconds=10),
        webhook: WebhookReceiver | None = None,
    ) -> None:
        self._name = ven_name
        self._client = client
        self._on_distribution = on_distribution
        self._on_event = on_event
        self._reporter = reporter
        self._resources = resources
        self._clock = clock
        self._on_registration = on_registration
        self._report_tick_s = report_tick.total_seconds()
        self._registration: Registration | None = None
        self._link_up = False
        self._answered_at: float | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._polls = itertools.count(1)
        self.resource_ids: dict[str, str] = {}
        self._webhook = webhook
        if webhook is not None:
            webhook.on_notice = self.wake
        self._wake = asyncio.Event()  # a notification: poll now
        self.subscription_id: str | None = None
        self._answered: dict[tuple[str, int], Opt] = {}  # last poll's answers, to log each optOut once
        self._refused: set[str] = set()  # last poll's unusable events, likewise

    def wake(self) -> None:
        """Poll now (a notification came): the webhook's callback."""
        self._wake.set()

    # -- the runtime's view ------------------------------------------------------------------------

    @property
    def client(self) -> Vtn3Client:
        return self._client

    @property
    def registration(self) -> Registration | None:
        return self._registration

    @property
    def link_up(self) -> bool:
        return self._link_up

    @property
    def last_poll_age_s(self) -> float | None:
        return None if self._answered_at is None else time.monotonic() - self._answered_at

    async def create_opt(self, opt: OptMessage) -> bool:
        """3.1 has no opt message: availability schedules stay with the VEN (logged, taken as given)."""
        logger.info(
            "opt %s: OpenADR 3.1 has no opt message; the VTN is not told (kept by the VEN)", opt.opt_id
        )
        return True

    async def cancel_opt(self, opt_id: str) -> bool:
        logger.debug("opt %s: nothing to cancel at a 3.1 VTN", opt_id)
        return True

    # -- running ----------------------------------------------------------------------------------

    async def start(self) -> Registration:
        """Register (retrying with backoff until the VTN takes us), poll once, start polling and reporting."""
        attempt = 0
        while True:
            try:
                registration = await self._register()
                break
            except OpenADR3Error as err:
                self._link_up = False
                delay = min(2.0 ** min(attempt, 16), MAX_BACKOFF_S)  # 1 s doubling to 5 min
                logger.warning(
                    "registration at %s failed (%s); next try in %.0f s", self._client.base_url, err, delay
                )
                await asyncio.sleep(delay)
                attempt += 1
        await self._subscribe()
        await self.poll_once()
        self._tasks = [
            asyncio.create_task(self._poll_forever(), name="openadr3-poll"),
            asyncio.create_task(self._report_forever(), name="openadr3-reports"),
        ]
        return registration

    async def wait(self) -> None:
        """Until a loop ends: never, unless a callback raised (re-raised here) or stop()."""
        if self._tasks:
            done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._webhook is not None:
            await self._webhook.stop()
        await self._client.close()

    async def _register(self) -> Registration:
        ven = await self._client.register(self._name)
        self.resource_ids = await self._client.ensure_resources(ven.id, self._resources)
        previous = self._registration
        poll = previous.poll_interval if previous is not None else DEFAULT_POLL_INTERVAL
        self._registration = Registration(ven.id, ven.id, poll)
        self._up()
        logger.info("registered as ven %s (%s) with %d resources", ven.id, self._name, len(self.resource_ids))
        if self._on_registration is not None:
            self._on_registration(self._registration)
        return self._registration

    def _up(self) -> None:
        self._link_up = True
        self._answered_at = time.monotonic()

    async def _subscribe(self) -> None:
        """Notifications where configured (polling stays the floor: a failure here is only logged)."""
        if self._webhook is None or self._registration is None:
            return
        try:
            url = await self._webhook.start()
            self.subscription_id = await self._client.subscribe(self._name, url, self._webhook.bearer_token)
        except OSError as err:
            logger.warning("webhook not listening (%s); polling only", err)
        except OpenADR3Error as err:
            logger.warning("no subscription (%s); polling only", err)
        else:
            logger.info("subscribed (%s): notifications to %s", self.subscription_id, url)

    async def _poll_forever(self) -> None:
        while True:
            registration = self._registration
            interval = registration.poll_interval if registration else DEFAULT_POLL_INTERVAL
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval.total_seconds()):
                    await self._wake.wait()
            self._wake.clear()
            await self.poll_once()
            if self._webhook is not None and self.subscription_id is None and self._link_up:
                await self._subscribe()  # the VTN was down when we first tried

    async def poll_once(self) -> bool:
        """Programs and events once; False when the VTN could not be read (the link is down)."""
        try:
            programs = await self._client.programs()
            raw_events = await self._client.events()
        except VtnHttpError as err:
            self._link_up = False
            logger.warning("poll failed: %s", err)
            if err.status == 404:  # e.g. our ven was deleted: register again
                with contextlib.suppress(OpenADR3Error):
                    await self._register()
            return False
        except OpenADR3Error as err:
            self._link_up = False
            logger.warning("poll failed: %s", err)
            return False
        self._up()
        self._set_poll_interval(programs)
        await self._distribute(programs, raw_events)
        return True

    def _set_poll_interval(self, programs: list[Program]) -> None:
        told = [i for p in programs if (i := _poll_interval(p)) is not None]
        registration = self._registration
        if told and registration is not None:
            interval = max(MIN_POLL_INTERVAL, min(*told, MAX_POLL_INTERVAL))
            if interval != registration.poll_interval:
                logger.info("polling every %s (the VTN's %s)", interval, POLL_ATTRIBUTE)
                self._registration = Registration(registration.ven_id, registration.registration_id, interval)

    async def _distribute(self, programs: list[Program], raw_events: list[Any]) -> None:
        by_id = {p.id: p for p in programs}
        now = self._clock.now()
        converted: list[DrEvent] = []
        refused: set[str] = set()
        parsed: list[Event] = []
        ids: list[str] = []
        for raw in raw_events:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(raw_id, str) and raw_id:
                ids.append(raw_id)
            program_id = raw.get("programID") if isinstance(raw, dict) else None
            try:
                converted.append(event_from_json(raw, by_id.get(str(program_id)), now=now))
            except MalformedEventError as err:
                problem = f"an unusable event from the VTN: {err}"
                refused.add(problem)
                if problem not in self._refused:  # once, not every poll
                    logger.warning("%s", problem)
                continue
            parsed.append(Event.model_validate(raw))  # it converted: it is a 3.1 event
        self._refused = refused
        request_id = f"openadr3-poll-{next(self._polls)}"
        await self._on_distribution(
            Distribution(request_id, None, tuple(dict.fromkeys(ids)), tuple(converted))
        )
        answered: dict[tuple[str, int], Opt] = {}
        for event in converted:
            key = (event.event_id, event.modification_number)
            answer = await self._on_event(event)
            answered[key] = answer.opt
            if answer.opt is Opt.OUT and self._answered.get(key) is not Opt.OUT:  # once per modification
                logger.info(
                    "event %s: optOut (%s); OpenADR 3.1 has no opt message, the VTN is not told",
                    event.event_id,
                    answer.reason,
                )
        self._answered = answered  # the listed events' answers only: nothing grows
        self._reporter.track(parsed)

    # -- reports ----------------------------------------------------------------------------------

    async def _report_forever(self) -> None:
        while True:
            await asyncio.sleep(self._report_tick_s)
            if self._link_up:
                await self.send_reports()

    async def send_reports(self) -> int:
        """Send every report with newly complete intervals; how many the VTN took."""
        taken, reachable = await send_due(self._reporter, self._client, self._clock.now())
        if not reachable:
            self._link_up = False
        return taken


def _poll_interval(program: Program) -> timedelta | None:
    for attribute in program.attributes or []:
        if attribute.type == POLL_ATTRIBUTE and attribute.values and isinstance(attribute.values[0], str):
            try:
                value = parse_duration(attribute.values[0])
            except ValueError:
                return None
            return value if value > timedelta(0) else None
    return None
