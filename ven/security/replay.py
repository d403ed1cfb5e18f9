"""Replay protection for signed OpenADR messages (the oadr ReplayProtect timestamp + nonce).

openleadr keeps its nonce cache in a module-level set shared by every client and server in the process and
accepts a message only within 5 s of its timestamp. Each endpoint here owns its guard: a message is fresh
when its signed timestamp is within `window` of our clock (either side: clocks drift), and its nonce has
not been seen within the window.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from ven.clock import Clock, SystemClock

DEFAULT_WINDOW = timedelta(seconds=60)
DEFAULT_MAX_NONCES = 200_000  # a minute of 3,000 signed messages/s; more means a flood, refused


class ReplayError(ValueError):
    """A signed message that is stale, from the future, or seen before."""


class ReplayGuard:
    """Remembers the nonces of accepted messages for `window`; refuses repeats and stale timestamps."""

    def __init__(
        self,
        window: timedelta = DEFAULT_WINDOW,
        clock: Clock | None = None,
        max_nonces: int = DEFAULT_MAX_NONCES,
    ) -> None:
        self._window = window
        self._clock = clock or SystemClock()
        self._max_nonces = max_nonces
        self._seen: set[str] = set()
        self._expiry: deque[tuple[datetime, str]] = deque()

    def check(self, timestamp: datetime, nonce: str) -> None:
        """Accept (and remember) this timestamp + nonce, or raise ReplayError."""
        now = self._clock.now()
        self._forget_before(now)
        if not nonce:
            raise ReplayError("ReplayProtect has no nonce")
        if timestamp.tzinfo is None:
            raise ReplayError("ReplayProtect timestamp has no time zone")
        if timestamp < now - self._window:
            raise ReplayError(f"signed at {timestamp.isoformat()}, more than {self._window} ago")
        if timestamp > now + self._window:
            raise ReplayError(f"signed at {timestamp.isoformat()}, more than {self._window} ahead")
        if nonce in self._seen:
            raise ReplayError("nonce seen before: a replayed message")
        if len(self._seen) >= self._max_nonces:
            raise ReplayError("too many signed messages in the replay window")
        self._seen.add(nonce)
        # A timestamp up to `window` ahead stays fresh until 2 · window from now; after that any copy
        # is refused as stale, so the nonce can go. (now + constant keeps the deque in expiry order.)
        self._expiry.append((now + 2 * self._window, nonce))

    def _forget_before(self, now: datetime) -> None:
        while self._expiry and self._expiry[0][0] < now:
            _, nonce = self._expiry.popleft()
            self._seen.discard(nonce)

    def __len__(self) -> int:
        return len(self._seen)
