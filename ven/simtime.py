"""Simulated time for whole programmes: an asyncio event loop that skips the time nobody is working.

`SimulatedTimeLoop.time()` is a simulated clock. Whenever no callback is ready, no socket has data, no
network exchange is in flight and no worker thread is busy, the loop jumps its clock straight to the next
timer instead of sleeping; otherwise it behaves like the stock selector loop. Everything that waits with
`asyncio.sleep`, `asyncio.timeout`, `loop.call_later` (aiohttp's timeouts and keep-alives included) waits
in simulated time, so a VEN and a mock VTN talking HTTP over loopback run a summer in minutes, through
exactly the code `ven run` uses. `LoopClock` is the `ven.clock.Clock` both sides read: it follows the loop.

Time stands still while work is in progress, so results do not depend on how fast the machine is:
- a network exchange is "in flight" from the moment a client sends a request until it has read the answer
  (`network_exchange()`, used by the VEN's HTTP client): the request is written to a loopback socket, but
  the kernel may hand it to the peer a moment later, so an empty poll does not yet mean "idle";
- a job in the loop's executor (`asyncio.to_thread`, `run_in_executor`) is running.
During those the loop waits for real, and only if one lasts longer than `stall_s` (real seconds) does the
simulated clock move on with the real one, so a peer that really hangs still times out.

Outside this module's reach: code that reads the wall clock itself (`datetime.now()`); the project injects
a Clock everywhere instead, and docs/season.md lists what in openleadr still reads the wall clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from concurrent.futures import Executor

T = TypeVar("T")

# Timers closer together than this count as simultaneous (asyncio's own resolution is the monotonic
# clock's, ~1 ns, finer than a float holding months of seconds can tell apart).
_RESOLUTION_S = 1e-6
_REAL_WAIT_S = 0.05  # how long one real wait for in-flight work lasts before the loop looks again


class SimulatedTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop on simulated time (seconds from `start`); see the module docstring."""

    def __init__(self, start: float = 0.0, *, stall_s: float = 30.0) -> None:
        if stall_s <= 0:
            raise ValueError("stall_s must be positive")
        self._now = start
        self._holds = 0
        self._jobs = 0
        self._stall_s = stall_s
        self._waited_s = 0.0  # real seconds spent waiting for in-flight work since it last progressed
        self.jumps = 0  # how often the clock skipped ahead (a figure for benchmarks)
        self.skipped_s = 0.0
        super().__init__(_CompactingSelector(selectors.DefaultSelector(), self))
        self._clock_resolution = _RESOLUTION_S

    def time(self) -> float:
        return self._now

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Keep the clock from skipping ahead while the block runs (an exchange with a peer in flight)."""
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1

    @property
    def busy(self) -> bool:
        """Work in flight that the loop must wait for in real time: exchanges or executor jobs."""
        return self._holds > 0 or self._jobs > 0

    def run_in_executor(  # type: ignore[override]
        self, executor: Executor | None, func: Callable[..., T], *args: Any
    ) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self._jobs += 1

        def done(_: asyncio.Future[T]) -> None:
            self._jobs -= 1

        future.add_done_callback(done)
        return future

    def _skip(self, seconds: float) -> None:
        self._now += seconds
        self.jumps += 1
        self.skipped_s += seconds

    def _waited(self, real_s: float, progressed: bool) -> None:
        """Account a real wait for in-flight work; past `stall_s`, time moves on at real speed."""
        if progressed:
            self._waited_s = 0.0
            return
        self._waited_s += real_s
        if self._waited_s > self._stall_s:
            self._now += real_s


class _CompactingSelector(selectors.BaseSelector):
    """The loop's selector: polls without blocking, and when nothing is due, moves the clock instead."""

    def __init__(self, inner: selectors.BaseSelector, loop: SimulatedTimeLoop) -> None:
        self._inner = inner
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = self._inner.select(0)
        if events or timeout == 0:
            if events:
                self._loop._waited(0.0, progressed=True)  # noqa: SLF001 - the loop's own helper
            return events
        if self._loop.busy or timeout is None:
            # Something is in flight (or nothing is scheduled at all): wait for it for real.
            began = time.monotonic()
            events = self._inner.select(_REAL_WAIT_S if self._loop.busy else None)
            self._loop._waited(time.monotonic() - began, progressed=bool(events))  # noqa: SLF001
            return events
        self._loop._skip(timeout)  # noqa: SLF001
        return []

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.get_key(fileobj)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()

    def close(self) -> None:
        self._inner.close()


class LoopClock:
    """A `ven.clock.Clock` that reads the running loop's time: `epoch` plus the loop's seconds.

    On a SimulatedTimeLoop started at 0 this is simulated time from `epoch`; the VEN, its simulated chargers
    and the mock VTN share one such clock, so every timestamp is in one time frame.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, epoch: datetime) -> None:
        if epoch.tzinfo is None:
            raise ValueError("LoopClock needs an aware epoch")
        self._loop = loop
        self._epoch = epoch.astimezone(UTC)
        self._origin = loop.time()

    def now(self) -> datetime:
        return self._epoch + timedelta(seconds=self._loop.time() - self._origin)


def connector_options() -> dict[str, Any]:
    """Settings for an aiohttp client connector made on the running loop.

    aiohttp's connector times kept-alive connections out by `time.monotonic()`, the wall clock, and checks
    them with a loop timer every keep-alive period: on simulated time that timer would fire every 15
    simulated seconds for as long as a connection lives. On a SimulatedTimeLoop each request gets its own
    connection instead (loopback connections cost microseconds).
    """
    if isinstance(asyncio.get_running_loop(), SimulatedTimeLoop):
        return {"force_close": True}
    return {}


def network_exchange() -> contextlib.AbstractContextManager[None]:
    """Mark a request/answer exchange with a peer as in flight (a no-op on an ordinary event loop)."""
    loop = asyncio.get_running_loop()
    if isinstance(loop, SimulatedTimeLoop):
        return loop.hold()
    return contextlib.nullcontext()
