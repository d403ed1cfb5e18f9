"""Keeping the VTN's view of our opt-outs current: which opts to create and which to cancel.

Each wanted `OptSchedule` has a key (the configured windows, the "every EV away" windows, one per
override); at most one live opt per key. A wanted schedule is sent when no opt has its key, and sent
again (the new opt first, then the old one cancelled) when it differs from what was sent: different
windows from now on, or less than `min_coverage` of the future left in what was sent (windows computed to
a horizon are renewed before the horizon comes near). A live opt whose key is no longer wanted is
cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ven.availability.unavailability import OptSchedule
from ven.availability.windows import Window

MIN_COVERAGE = timedelta(hours=24)


@dataclass(frozen=True)
class SentOpt:
    """An opt the VEN created (acknowledged by the VTN or still to be) and has not cancelled."""

    opt_id: str
    schedule: OptSchedule
    created_at: datetime


@dataclass(frozen=True)
class SyncPlan:
    create: tuple[OptSchedule, ...] = ()
    cancel: tuple[SentOpt, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.create or self.cancel)


def reconcile(
    wanted: Sequence[OptSchedule],
    sent: Sequence[SentOpt],
    now: datetime,
    min_coverage: timedelta = MIN_COVERAGE,
) -> SyncPlan:
    """What to send so that the VTN's opts match `wanted`."""
    live = {opt.schedule.key: opt for opt in sent}
    create: list[OptSchedule] = []
    cancel: list[SentOpt] = [opt for key, opt in live.items() if key not in {w.key for w in wanted}]
    for schedule in wanted:
        previous = live.get(schedule.key)
        if previous is None:
            create.append(schedule)
        elif _outdated(schedule, previous.schedule, now, min_coverage):
            create.append(schedule)
            cancel.append(previous)
    return SyncPlan(tuple(create), tuple(cancel))


def _outdated(wanted: OptSchedule, sent: OptSchedule, now: datetime, min_coverage: timedelta) -> bool:
    if (wanted.kind, wanted.event_id, wanted.site) != (sent.kind, sent.event_id, sent.site):
        return True
    if sent.horizon is not None and sent.horizon - now < min_coverage:
        return True
    until = sent.horizon or wanted.horizon
    return _future(wanted.windows, now, until) != _future(sent.windows, now, until)


def _future(windows: Sequence[Window], now: datetime, until: datetime | None) -> list[Window]:
    end = until or max((w.end for w in windows), default=now)
    return [part for w in windows if (part := w.clipped(now, end)) is not None]
