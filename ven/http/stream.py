"""Server-sent events for the dashboards: one watcher per server, one stream per open page.

The watcher compares a cheap fingerprint of the server's state (`marker`, no I/O) every `check_s`; when it
changed, every stream sends its page a `snapshot` message (rendered per page, from a
snapshot the server builds once per change). In between, each stream sends a small `tick` every `tick_s`
(the time and the link), which also tells a page that its connection is alive. Pages never poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiohttp import web

logger = logging.getLogger(__name__)

CHECK_S = 0.5  # a change reaches the page within this (plus rendering): well inside 2 s
TICK_S = 2.0


class Watcher:
    """Bumps `version` when `marker()` changes; streams wait on it."""

    def __init__(self, marker: Callable[[], object], *, check_s: float = CHECK_S) -> None:
        self._marker = marker
        self._check_s = check_s
        self._changed = asyncio.Condition()
        self._last: object = None
        self._task: asyncio.Task[None] | None = None
        self.version = 0
        self.closed = False

    async def start(self, _app: web.Application | None = None) -> None:
        self._task = asyncio.create_task(self._run(), name="dashboard-watcher")

    async def close(self, _app: web.Application | None = None) -> None:
        """Stop watching and let every stream end (on server shutdown)."""
        self.closed = True
        async with self._changed:
            self._changed.notify_all()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait(self, seen: int, timeout_s: float) -> None:
        """Until the version moves past `seen`, the watcher closes, or `timeout_s` passes."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await self._changed.wait_for(lambda: self.version != seen or self.closed)

    async def _run(self) -> None:
        # Also while no page is open: a marker may track state over time (the VTN's poll timing).
        while True:
            marker = self._marker()
            if marker != self._last:
                self._last = marker
                async with self._changed:
                    self.version += 1
                    self._changed.notify_all()
            await asyncio.sleep(self._check_s)


async def serve_stream(
    request: web.Request,
    watcher: Watcher,
    snapshot: Callable[[], str],
    tick: Callable[[], str],
    *,
    tick_s: float = TICK_S,
) -> web.StreamResponse:
    """One page's event stream: a snapshot at once and after every change, ticks in between."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # a proxy must not hold the stream back
        }
    )
    await response.prepare(request)
    seen = -1
    try:
        while not watcher.closed:
            if watcher.version != seen:
                seen = watcher.version
                await response.write(_message("snapshot", snapshot()))
            else:
                await response.write(_message("tick", tick()))
            await watcher.wait(seen, tick_s)
    except ConnectionResetError:
        logger.debug("dashboard stream closed by the page")
    except Exception:  # a bug in rendering: end this stream cleanly (the page reconnects), say why
        logger.exception("dashboard stream failed")
    return response


def _message(kind: str, data: str) -> bytes:
    return f"event: {kind}\ndata: {data}\n\n".encode()
