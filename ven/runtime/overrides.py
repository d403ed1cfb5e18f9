"""Recording owner overrides: one validation for `ven opt-out` and the running VEN's HTTP endpoint."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from ven.availability import Override, Window
from ven.errors import InputError
from ven.storage import Store


def record_override(
    store: Store,
    *,
    sites: Collection[str],
    now: datetime,
    event_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    site: str | None = None,
    note: str = "",
) -> Override:
    """Validate and store one override; InputError (one line) when it makes no sense."""
    if (event_id is None) == (start is None or end is None):
        raise InputError("give either an event (--event ID) or a window (--from T --until T)")
    if event_id is not None and not event_id.strip():
        raise InputError("the event id must not be empty")
    if site is not None and site not in sites:
        known = ", ".join(sorted(sites)[:10])
        raise InputError(f"site {site!r} is not in the enrollment (sites: {known})")
    window = None
    if start is not None and end is not None:
        if end <= start:
            raise InputError(f"--until ({end.isoformat()}) must be after --from ({start.isoformat()})")
        if end <= now:
            raise InputError(f"the window {start.isoformat()}..{end.isoformat()} is already over")
        window = Window(start, end)
    return store.overrides.add(Override(event_id=event_id, window=window, site=site, note=note))


def describe(override: Override) -> dict[str, object]:
    """An override as JSON (the CLI's --json and the HTTP endpoint)."""
    window = override.window
    return {
        "id": override.id,
        "event_id": override.event_id,
        "from": None if window is None else window.start.isoformat(),
        "until": None if window is None else window.end.isoformat(),
        "site": override.site,
        "note": override.note,
        "created_at": None if override.created_at is None else override.created_at.isoformat(),
        "cancelled_at": None if override.cancelled_at is None else override.cancelled_at.isoformat(),
    }
