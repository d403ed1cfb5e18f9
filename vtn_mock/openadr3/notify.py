"""Webhook notifications (Definition, "Subscriptions" and "Webhooks").

A callback URL must be https, or http to a loopback address (a mock VTN's VENs run beside it; the
specification requires https). Before a subscription is stored its URLs are verified with the echo
challenge: GET <callbackUrl>?echo=<random>, answered 200 with that value as the body. Notifications are
POSTed with the subscription's bearerToken, a 10 s timeout, no redirects followed and no retries.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ven.http.auth import is_loopback

logger = logging.getLogger("vtn_mock.openadr3.notify")
TIMEOUT = aiohttp.ClientTimeout(total=10)


def callback_url_problem(url: str) -> str | None:
    """Why a callback URL is refused, or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        return f"callbackUrl {url!r} is not a URL"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and is_loopback(host):
        return None
    return f"callbackUrl {url!r} must use https (http only to a loopback address)"


class WebhookNotifier:
    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def verify(self, url: str) -> str | None:
        """The echo challenge; None when the callback answered it, else why not."""
        echo = secrets.token_urlsafe(16)
        try:
            async with self._client().get(url, params={"echo": echo}, allow_redirects=False) as resp:
                text = (await resp.content.read(4096)).decode("utf-8", "replace").strip()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            return f"callbackUrl {url!r} did not answer the echo challenge ({type(err).__name__})"
        if status != 200 or text not in (echo, json.dumps(echo)):
            return f"callbackUrl {url!r} did not echo the challenge (HTTP {status})"
        return None

    def post(self, url: str, bearer_token: str | None, notification: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._post(url, bearer_token, notification))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, url: str, bearer_token: str | None, notification: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {bearer_token}"} if bearer_token else {}
        try:
            async with self._client().post(
                url, json=notification, headers=headers, allow_redirects=False
            ) as resp:
                if resp.status >= 300:
                    logger.warning(f"notification to {url} answered HTTP {resp.status}")
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            logger.warning(f"notification to {url} failed: {type(err).__name__}: {err}")

    async def drain(self) -> None:
        """Wait for notifications in flight (tests, and a clean stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.drain()
        if self._session is not None:
            await self._session.close()
