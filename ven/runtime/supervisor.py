"""When to dispatch: at each interval start (LifecycleScheduler), every control period, and at once when
the gateway reports a plug-out, fault or drift, or a setpoint was rejected. One step at a time (a lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from ven.chargers.gateway import GatewayEvent, GatewayEventKind
from ven.events.model import EventRejectedError

if TYPE_CHECKING:
    from datetime import timedelta

    from ven.clock import Clock
    from ven.dispatch.controller import DispatchController, StepSummary
    from ven.events import EventView, LifecycleScheduler
    from ven.events.model import EventStatus
    from ven.storage import Store

logger = logging.getLogger(__name__)

_REDISPATCH_ON = frozenset(
    {
        GatewayEventKind.PLUGGED_OUT,
        GatewayEventKind.PLUGGED_IN,
        GatewayEventKind.FAULT,
        GatewayEventKind.OFFLINE,
        GatewayEventKind.DRIFT,
        GatewayEventKind.ONLINE,
        GatewayEventKind.FAULT_CLEARED,
    }
)


class Supervisor:
    def __init__(
        self,
        controller: DispatchController,
        store: Store,
        clock: Clock,
        *,
        control_period: timedelta,
        time_scale: float,
    ) -> None:
        self._controller = controller
        self._store = store
        self._clock = clock
        self._period_s = control_period.total_seconds() / time_scale
        self.lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self.scheduler: LifecycleScheduler | None = None
        self.steps = 0
        self.last_step_s: float | None = None  # wall time of the latest control step (read, plan, apply)

    async def on_interval_start(self, view: EventView, index: int) -> None:
        logger.debug("event %s interval %d starts", view.event_id, index)  # the step logs the figures
        await self._step(view)

    async def on_event_end(self, view: EventView) -> None:
        async with self.lock:
            await self._controller.finish()
        logger.info("event %s no longer dispatched", view.event_id)

    async def on_status(self, event_id: str, status: EventStatus) -> None:
        self._store.events.set_status(event_id, status)

    def wake(self) -> None:
        """Re-dispatch at once (e.g. an owner override changed who may be used)."""
        self._wake.set()

    def on_gateway_event(self, event: GatewayEvent) -> None:
        if event.kind in _REDISPATCH_ON:
            logger.info("gateway: %s %s (%s): re-dispatching", event.ev_id, event.kind.value, event.detail)
            self._wake.set()

    async def run(self) -> None:
        """Re-dispatch the running event every control period, or at once when woken.

        A control period runs from one step's start to the next (a fixed rate, not a pause after each
        step): setpoints are renewed well within their TTL however long a step takes to apply.
        """
        loop = asyncio.get_running_loop()
        next_at = loop.time() + self._period_s
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation (gh-86296).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(next_at):
                    await self._wake.wait()
            self._wake.clear()
            next_at = loop.time() + self._period_s
            view = None if self.scheduler is None else self.scheduler.dispatching
            if view is not None:
                await self._step(view)

    async def _step(self, view: EventView) -> None:
        async with self.lock:
            started = time.perf_counter()
            try:
                outcome = await self._controller.step(view, self._clock.now())
                if outcome.rejected:  # immediately again, without the EVs that said no
                    outcome = await self._controller.step(view, self._clock.now())
            except EventRejectedError:
                logger.exception("event %s cannot be dispatched; releasing the fleet", view.event_id)
                await self._controller.finish()
            else:
                if outcome.summary is not None:
                    _log_step(view.event_id, outcome.summary)
            self.steps += 1
            self.last_step_s = time.perf_counter() - started


def _log_step(event_id: str, step: StepSummary) -> None:
    """The operator's line for one control period: what was asked, planned and measured, with how many EVs."""
    baseline = "" if step.baseline_kw is None else f" (baseline {step.baseline_kw:,.1f} kW)"
    logger.info(
        "event %s interval %d/%d: requested %s kW, planned %s kW reduction, measured %s kW net%s, "
        "%d EVs in play",
        event_id,
        step.interval + 1,
        step.intervals,
        f"{step.requested_kw:,.1f}",
        f"{step.planned_kw:,.1f}",
        f"{step.measured_kw:,.1f}",
        baseline,
        step.evs,
        extra={"event_id": event_id, "interval": step.interval},
    )
