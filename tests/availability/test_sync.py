"""Keeping the VTN's opts current: create, replace and cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ven.availability import Kind, OptSchedule, SentOpt, Window, reconcile

T = datetime(2026, 7, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)


def schedule(*windows: Window, key: str = "schedule", horizon: datetime | None = T + 48 * H) -> OptSchedule:
    return OptSchedule(key, Kind.SCHEDULE, tuple(windows), horizon=horizon)


def test_new_schedule_is_created_once() -> None:
    """A wanted schedule without a live opt is created; the same one already sent is left alone."""
    wanted = schedule(Window(T + H, T + 2 * H))
    plan = reconcile([wanted], [], T)
    assert plan.create == (wanted,)
    assert not plan.cancel
    assert not reconcile([wanted], [SentOpt("o1", wanted, T)], T)


def test_changed_windows_replace_the_opt() -> None:
    """Different future windows: the new opt is created and the old one cancelled."""
    sent = SentOpt("o1", schedule(Window(T + H, T + 2 * H)), T)
    wanted = schedule(Window(T + H, T + 3 * H))
    plan = reconcile([wanted], [sent], T)
    assert (plan.create, plan.cancel) == ((wanted,), (sent,))


def test_windows_compared_from_now_on() -> None:
    """A window in progress computed afresh (starting now) equals the one sent with its real start."""
    sent = SentOpt("o1", schedule(Window(T - H, T + H)), T - 2 * H)
    assert not reconcile([schedule(Window(T, T + H))], [sent], T)


def test_renewed_before_its_horizon_comes_near() -> None:
    """An opt computed to a horizon less than 24 h away is sent again, further ahead."""
    sent = SentOpt("o1", schedule(Window(T + H, T + 2 * H), horizon=T + 20 * H), T - 28 * H)
    plan = reconcile([schedule(Window(T + H, T + 2 * H))], [sent], T)
    assert len(plan.create) == 1
    assert plan.cancel == (sent,)


def test_unwanted_opt_is_cancelled() -> None:
    """A live opt whose key is no longer wanted (the override was cancelled) is cancelled."""
    sent = SentOpt("o1", OptSchedule("override-3", Kind.OVERRIDE, event_id="e1"), T)
    plan = reconcile([], [sent], T)
    assert (plan.create, plan.cancel) == ((), (sent,))
