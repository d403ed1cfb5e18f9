"""ReplayGuard: fresh timestamps and new nonces only, memory bounded by the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ven.clock import ManualClock
from ven.security.replay import ReplayError, ReplayGuard

NOW = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=60)


def guard(max_nonces: int = 100) -> tuple[ReplayGuard, ManualClock]:
    clock = ManualClock(NOW)
    return ReplayGuard(WINDOW, clock, max_nonces), clock


def test_new_nonce_within_the_window_is_accepted_once() -> None:
    """A fresh message passes; the same nonce again is a replay."""
    replay, _ = guard()
    replay.check(NOW - timedelta(seconds=30), "n1")
    with pytest.raises(ReplayError, match="seen before"):
        replay.check(NOW - timedelta(seconds=30), "n1")


@pytest.mark.parametrize(("offset", "why"), [(-61, "ago"), (61, "ahead")])
def test_stale_or_future_timestamps_are_refused(offset: int, why: str) -> None:
    """Outside ± window of our clock: refused, whatever the nonce."""
    replay, _ = guard()
    with pytest.raises(ReplayError, match=why):
        replay.check(NOW + timedelta(seconds=offset), "n1")


def test_nonces_are_forgotten_once_any_copy_would_be_stale() -> None:
    """Memory stays bounded: after twice the window, remembered nonces are dropped (and a copy is stale)."""
    replay, clock = guard()
    replay.check(NOW + timedelta(seconds=59), "n1")
    clock.advance(timedelta(seconds=119))
    with pytest.raises(ReplayError, match="seen before"):
        replay.check(NOW + timedelta(seconds=59), "n1")
    clock.advance(timedelta(seconds=2))
    with pytest.raises(ReplayError, match="ago"):
        replay.check(NOW + timedelta(seconds=59), "n1")
    assert len(replay) == 0


def test_flood_of_nonces_is_refused() -> None:
    """More signed messages in one window than the cap: refused rather than growing without bound."""
    replay, _ = guard(max_nonces=3)
    for nonce in ("a", "b", "c"):
        replay.check(NOW, nonce)
    with pytest.raises(ReplayError, match="too many"):
        replay.check(NOW, "d")


def test_naive_timestamp_and_empty_nonce_are_refused() -> None:
    """A timestamp without a zone or an empty nonce cannot be checked: refused."""
    replay, _ = guard()
    with pytest.raises(ReplayError, match="time zone"):
        replay.check(NOW.replace(tzinfo=None), "n1")
    with pytest.raises(ReplayError, match="no nonce"):
        replay.check(NOW, "")
