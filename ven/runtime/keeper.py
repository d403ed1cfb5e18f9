"""The store's upkeep while `ven run` runs: reconnect and replay after a database outage, prune on schedule.

Both block on the database, so they run in a worker thread; the event loop (dispatch) never waits on them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from ven.storage import StorageError, StorageUnavailableError

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from ven.clock import Clock
    from ven.storage import Retention, Store

logger = logging.getLogger(__name__)

RECOVER_EVERY_S = 1.0  # while the database is unreachable: how often to try it again


class StoreKeeper:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        retention: Retention,
        *,
        prune_every: timedelta,
        check_every: timedelta,
        time_scale: float = 1.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._retention = retention
        self._prune_every = prune_every
        self._check_s = check_every.total_seconds() / time_scale
        self._next_prune: datetime | None = None
        self.prune_runs = 0

    async def run(self) -> None:
        """Forever: keep the store in sync (and the VEN name held); prune when due.

        VenNameInUseError (another process took the name during an outage) ends the task, and `ven run`.
        """
        while True:
            in_sync = await asyncio.to_thread(self._store.recover)
            if in_sync:
                await self._prune_if_due()
            await asyncio.sleep(self._check_s if in_sync else RECOVER_EVERY_S)

    async def _prune_if_due(self) -> None:
        now = self._clock.now()
        if self._next_prune is None:
            self._next_prune = now  # once at start-up, then every prune_every
        if now < self._next_prune:
            return
        self._next_prune = now + self._prune_every
        try:
            pruned = await asyncio.to_thread(self._store.prune, self._retention, now)
        except StorageUnavailableError:
            return  # the outage is handled by recover(); pruning waits for the next turn
        except StorageError:
            logger.exception("pruning failed; retrying at the next turn")
            return
        self.prune_runs += 1
        if pruned.total:
            logger.info("pruned %s", pruned)
