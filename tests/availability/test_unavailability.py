"""One view of when the fleet cannot serve: holds, the forecast's held steps, blocking, opt schedules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ven.availability import Kind, Override, RecurringWindow, Unavailability, Window
from ven.model.enrollment import parse_fleet
from ven.model.horizon import Horizon

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 7, 14, 20, 0, tzinfo=UTC)  # Tuesday 16:00 in New York
H = timedelta(hours=1)
ROUTES = Unavailability(NY, (RecurringWindow(time(6), time(9), frozenset(range(5))),), derive_away=False)
BUSES = """ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,departure,timezone,days,plug_in
bus-1,north,200,0.6,60,60,06:15,America/New_York,mon-fri,16:00
bus-2,south,200,0.6,60,60,07:00,America/New_York,mon-fri,15:30
"""


def test_configured_window_holds_the_whole_fleet_not_as_an_override() -> None:
    """Inside a configured window every EV is held; TELEMETRY_STATUS sees no manual override."""
    inside = datetime(2026, 7, 15, 7, 0, tzinfo=NY)
    holds = ROUTES.holds(inside, ())
    assert holds.whole_fleet
    assert not holds.overridden(None)
    assert not ROUTES.holds(NOW, ()).whole_fleet


def test_site_override_holds_that_site_and_is_manual() -> None:
    """A window override for one site holds its EVs and flags it as a manual override."""
    override = Override(window=Window(NOW - H, NOW + H), site="north", id=1)
    holds = ROUTES.holds(NOW, (override,))
    assert holds.mask(["north", "south", "north"]).tolist() == [True, False, True]
    assert (holds.overridden("north"), holds.overridden("south"), holds.overridden(None)) == (
        True,
        False,
        True,
    )
    assert not ROUTES.holds(NOW + 2 * H, (override,)).sites


def test_event_site_override_holds_only_while_that_event_runs() -> None:
    """An event override for a site holds it while that event is dispatched, not otherwise."""
    override = Override(event_id="e1", site="south", id=2)
    assert ROUTES.holds(NOW, (override,), dispatching="e1").sites == frozenset({"south"})
    assert not ROUTES.holds(NOW, (override,), dispatching="e2").sites


def test_held_mask_marks_steps_touched_by_a_window() -> None:
    """(EV x step): steps overlapping configured windows hold everyone; a site window only its EVs."""
    start = datetime(2026, 7, 15, 5, 30, tzinfo=NY)
    horizon = Horizon.uniform(start, timedelta(minutes=30), 8)  # 05:30 .. 09:30
    south = Override(window=Window(start, start + timedelta(minutes=20)), site="south", id=3)
    held = ROUTES.held_mask(["north", "south"], horizon, (south,))
    assert held[:, 1:7].all()  # 06:00 .. 09:00
    assert held[:, 0].tolist() == [False, True]  # 05:30 step: only the south override
    assert not held[:, 7].any()


def test_blocking_names_the_reason() -> None:
    """An event inside the routes is refused; one partly outside is left to the plan; an event override
    of the whole fleet always refuses."""
    inside = ROUTES.blocking(
        "e1",
        start=datetime(2026, 7, 15, 7, tzinfo=NY),
        end=datetime(2026, 7, 15, 8, tzinfo=NY),
        overrides=(),
    )
    assert inside is not None
    assert "configured unavailability" in inside
    partly = ROUTES.blocking(
        "e1",
        start=datetime(2026, 7, 15, 8, tzinfo=NY),
        end=datetime(2026, 7, 15, 10, tzinfo=NY),
        overrides=(),
    )
    assert partly is None
    mine = Override(event_id="e9", id=4)
    refused = ROUTES.blocking("e9", start=NOW + H, end=NOW + 2 * H, overrides=(mine,))
    assert refused is not None
    assert "owner override #4" in refused


def test_every_ev_away_windows_come_from_the_routines() -> None:
    """Both buses away 07:00-15:30 tomorrow (north leaves 06:15, back 16:00; south 07:00..15:30)."""
    fleet = parse_fleet(BUSES, now=NOW)
    away = Unavailability(NY, derive_away=True)
    [window] = away.away(fleet, NOW, NOW + 24 * H)
    assert (window.start, window.end) == (
        datetime(2026, 7, 15, 7, tzinfo=NY),
        datetime(2026, 7, 15, 15, 30, tzinfo=NY),
    )
    [opt] = away.schedules(NOW, fleet, ())  # 48 h ahead: Wednesday's and Thursday's
    assert (opt.kind, opt.windows) == (
        Kind.AWAY,
        (window, Window(window.start + 24 * H, window.end + 24 * H)),
    )


def test_schedules_one_per_source() -> None:
    """Configured windows, and one opt per active override (cancelled or past ones left out)."""
    fleet = parse_fleet(BUSES, now=NOW)
    active = Override(window=Window(NOW + H, NOW + 2 * H), site="north", id=5)
    over = Override(window=Window(NOW - 2 * H, NOW - H), id=6)
    cancelled = Override(event_id="e1", id=7, cancelled_at=NOW - H)
    schedules = ROUTES.schedules(NOW, fleet, (active, over, cancelled))
    assert [s.key for s in schedules] == ["schedule", "override-5"]
    assert len(schedules[0].windows) == 2  # Wednesday and Thursday mornings within 48 h
    assert schedules[1].site == "north"
