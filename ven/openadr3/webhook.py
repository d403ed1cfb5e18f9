"""The VEN's webhook for 3.1 notifications (Definition, "Subscriptions" and "Webhooks"): the VTN posts a
notification when a program or event changes, and the link polls at once instead of at its next interval.

A notification only wakes the poller: the poll reads the objects themselves, so one lost, late or forged
notification changes nothing but timing. The callback path holds a random part and the VTN must send the
bearer token we gave it in the subscription; the echo challenge (GET ?echo=) is answered before the VTN
stores the subscription. Bound to the configured HOST:PORT (loopback in tests; behind TLS termination in a
deployment: `webhook_url` is then the address the VTN posts to).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from aiohttp.web_runner import AppRunner

logger = logging.getLogger(__name__)

MAX_NOTIFICATION_BYTES = 1_000_000
WAKING = frozenset({"EVENT", "PROGRAM"})


class WebhookReceiver:
    def __init__(self, listen: str, public_url: str | None = None) -> None:
        self._host, _, port = listen.rpartition(":")
        self._port = int(port)
        self.on_notice: Callable[[], None] = lambda: None  # the link sets its poller's wake-up
        self._public_url = public_url
        self.bearer_token = secrets.token_urlsafe(24)
        self._path = f"/openadr3/notifications/{secrets.token_urlsafe(12)}"
        self._runner: AppRunner | None = None
        self.url = ""
        self.received = 0

    async def start(self) -> str:
        """Listen; the callback URL to subscribe with."""
        if self._runner is not None:
            return self.url
        app = web.Application(client_max_size=MAX_NOTIFICATION_BYTES)
        app.router.add_get(self._path, self._echo)
        app.router.add_post(self._path, self._notify)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0][1] if runner.addresses else self._port  # port 0: the one given
        base = self._public_url.rstrip("/") if self._public_url else f"http://{self._host}:{bound}"
        self.url = base + self._path
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _echo(self, request: web.Request) -> web.Response:
        return web.Response(text=request.query.get("echo", ""), content_type="text/plain")

    async def _notify(self, request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), self.bearer_token.encode()):
            return web.Response(status=401)
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400)
        kind = body.get("objectType") if isinstance(body, dict) else None
        self.received += 1
        if kind in WAKING:
            logger.debug("notification: %s %s", body.get("operation"), kind)
            self.on_notice()
        return web.Response(status=200)
