"""The running VEN's availability: owner overrides from the database, holds for dispatch and telemetry,
the opt decision's "the fleet cannot serve this", and the VTN kept current with oadrCreateOpt/CancelOpt.

`ven opt-out` (another process) and the HTTP endpoint write overrides into the VEN's database; this
keeper notices a change by the table's revision, checked every poll interval (and at once when the HTTP
endpoint wakes it), then: an owner opt-out of a known event becomes that event's answer (optOut; the
fleet is released), dispatch re-plans without the held EVs, and the opts are reconciled with the VTN —
all within one poll interval. Opts go out through an outbox in the store (an optID is kept before it is
sent), so a restarted VEN retries and can cancel what it sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from openleadr import utils

from ven.availability import NO_HOLDS, Holds, OptSchedule, Override, SentOpt, reconcile
from ven.events import Answer, AnswerSource, Opt, to_record
from ven.events.model import EventStatus as LiveStatus
from ven.events.model import VtnStatus
from ven.openadr.opts import opt_message
from ven.storage import StorageUnavailableError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from ven.availability import Unavailability
    from ven.clock import Clock
    from ven.events import EventBook, EventView
    from ven.model.fleet import Fleet
    from ven.runtime.link import OptLink
    from ven.storage import Store

logger = logging.getLogger(__name__)

_FINISHED = (LiveStatus.COMPLETED, LiveStatus.CANCELLED)


class AvailabilityKeeper:
    def __init__(
        self,
        unavailability: Unavailability,
        store: Store,
        book: EventBook,
        clock: Clock,
        *,
        fleet: Callable[[], Fleet],
        dispatching: Callable[[], str | None],
        on_change: Callable[[], None],
    ) -> None:
        self.unavailability = unavailability
        self._store = store
        self._book = book
        self._clock = clock
        self._fleet = fleet
        self._dispatching = dispatching
        self._on_change = on_change
        self._revision: tuple[int, int] | None = None
        self.overrides: tuple[Override, ...] = ()
        self._wake = asyncio.Event()
        self.syncs = 0

    # -- reading ----------------------------------------------------------------------------------

    def holds(self, at: datetime) -> Holds:
        """Who dispatch and telemetry must leave alone at `at`."""
        return self.unavailability.holds(at, self.overrides, self._dispatching())

    def blocking(self, view: EventView) -> str | None:
        """Why the VEN must opt out of this event (owner override, or unavailable for all of it)."""
        return self.unavailability.blocking(
            view.event_id, start=view.start, end=view.end or view.start, overrides=self.overrides
        )

    # -- changing ---------------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Reload the overrides if the database says they changed; True if they did."""
        revision = self._store.overrides.revision()
        if revision == self._revision:
            return False
        self._revision = revision
        self.overrides = tuple(self._store.overrides.active(self._clock.now()))
        logger.info("%d owner overrides in force", len(self.overrides))
        self._apply_event_overrides()
        self._on_change()
        return True

    def wake(self) -> None:
        """Look again now (an override was just written by this process)."""
        self._wake.set()

    def _apply_event_overrides(self) -> None:
        now = self._clock.now()
        for override in self.overrides:
            if override.event_id is None or override.site is not None:
                continue
            view = self._book.get(override.event_id)
            if (
                view is None
                or view.status(now) in _FINISHED
                or view.event.event_status is VtnStatus.CANCELLED
            ):
                continue
            if view.opt is not Opt.OUT:
                logger.warning("event %s: %s; opting out", view.event_id, override.describe())
                answer = Answer.opt_out(override.describe(), AnswerSource.OWNER)
                recorded = self._book.record_answer(view.event_id, view.modification_number, answer)
                if recorded is not None:
                    self._store.events.save(to_record(recorded, recorded.status(now)))

    async def sync(self, client: OptLink, ven_id: str) -> bool:
        """Bring the VTN's opts in line with what is wanted now; True if nothing is left to retry."""
        self.syncs += 1
        now = self._clock.now()
        schedules = self.unavailability.schedules(now, self._fleet(), self.overrides)
        wanted = [s for s in schedules if self._known(s)]
        plan = reconcile(wanted, self._store.opts.live(), now)
        for schedule in plan.create:
            self._store.opts.add(f"opt-{uuid.uuid4().hex[:16]}", schedule)
        for old in plan.cancel:
            self._store.opts.request_cancel(old.opt_id)
        settled = True
        for sent in self._store.opts.unacknowledged():
            settled &= await self._create(client, ven_id, sent)
        for old in self._store.opts.to_cancel():
            if await client.cancel_opt(old.opt_id):
                self._store.opts.cancelled(old.opt_id)
            else:
                settled = False
        return settled

    def _known(self, schedule: OptSchedule) -> bool:
        """Event opts only for events the VEN knows (an unknown one is answered optOut when it comes)."""
        return schedule.event_id is None or self._book.get(schedule.event_id) is not None

    async def _create(self, client: OptLink, ven_id: str, sent: SentOpt) -> bool:
        schedule = sent.schedule
        view = None if schedule.event_id is None else self._book.get(schedule.event_id)
        message = opt_message(
            schedule,
            opt_id=sent.opt_id,
            ven_id=ven_id,
            request_id=utils.generate_id(),
            created=self._clock.now(),
            modification_number=None if view is None else view.modification_number,
        )
        if not await client.create_opt(message):
            return False
        self._store.opts.acknowledged(sent.opt_id)
        logger.info(
            "VTN acknowledged opt %s (%s, %d windows%s)",
            sent.opt_id,
            schedule.key,
            len(schedule.windows),
            f", event {schedule.event_id}" if schedule.event_id else "",
        )
        return True

    async def run(self, client: OptLink, period: Callable[[], timedelta]) -> None:
        """Refresh and sync once the VEN is registered, then every `period()` (the poll interval) or
        when woken."""
        while True:
            try:
                self.refresh()
                registration = client.registration
                if registration is not None and client.link_up:
                    await self.sync(client, registration.ven_id)
            except StorageUnavailableError as err:  # overrides and opts wait for the database
                logger.warning("availability not checked: %s", err)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(period().total_seconds()):
                    await self._wake.wait()


class KeeperHolds:
    """The keeper's holds, for parts built before the keeper (controller, sampler): none until it is set."""

    def __init__(self) -> None:
        self.keeper: AvailabilityKeeper | None = None

    def __call__(self, at: datetime) -> Holds:
        return NO_HOLDS if self.keeper is None else self.keeper.holds(at)
