"""The fleet's life between events: seeded trips around each EV's routine, on its calendar."""

from __future__ import annotations

import itertools
import statistics
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ven.model.fleet import Fleet
from ven.season.config import LifeProfile, SchoolCalendar
from ven.season.life import RESOLUTION, Span, plan_life

ZONE = ZoneInfo("America/New_York")
JUNE = datetime(2026, 6, 1, tzinfo=ZONE)
SEPTEMBER = datetime(2026, 9, 1, tzinfo=ZONE)
HOLIDAYS = frozenset({date(2026, 6, 19), date(2026, 7, 3)})
SCHOOL = SchoolCalendar.model_validate(
    {
        "sessions": [["2026-06-01", "2026-06-17"]],
        "summer_program": {"first": "2026-07-06", "last": "2026-07-30", "days": "mon-thu", "share": 1.0},
    }
)
PROFILES = [
    LifeProfile(sites=["school-*"], calendar="school"),
    LifeProfile(sites=["muni-*"], calendar="workweek", early_share=0.25),
    LifeProfile(sites=["home-*"], calendar="commute", skip_share=0.35),
]


def span(school: SchoolCalendar | None = SCHOOL, seed: int = 3) -> Span:
    return Span(JUNE, SEPTEMBER, ZONE, HOLIDAYS, school, seed)


def trips_of(fleet: Fleet, ev_id: str, **kwargs: object):
    life = plan_life(fleet, PROFILES, span(**kwargs))  # type: ignore[arg-type]
    return next(x for x in life.lives if x.ev_id == ev_id).trips


def test_buses_ride_on_school_days_and_the_summer_program_only(fleet: Fleet):
    """School buses travel on session weekdays; in the vacation only on summer-program days (Mon-Thu)."""
    trips = trips_of(fleet, "bus-a-01")
    days = [t.planned.astimezone(ZONE).date() for t in trips]
    june = [d for d in days if d.month == 6]
    assert june == [d for d in (date(2026, 6, n) for n in range(1, 18)) if d.weekday() < 5]
    summer = [d for d in days if d.month > 6]
    assert summer, "the summer program runs in July"
    assert all(date(2026, 7, 6) <= d <= date(2026, 7, 30) and d.weekday() < 4 for d in summer)


def test_without_the_summer_program_buses_stay_home_all_vacation(fleet: Fleet):
    """With no summer program share, no bus leaves between the last and the first school day."""
    school = SchoolCalendar.model_validate({"sessions": [["2026-06-01", "2026-06-17"]]})
    trips = trips_of(fleet, "bus-a-02", school=school)
    assert trips
    assert max(t.planned.astimezone(ZONE).date() for t in trips) == date(2026, 6, 17)


def test_workweek_trips_skip_weekends_and_holidays(fleet: Fleet):
    """Municipal vehicles leave on weekdays that are not holidays, near their routine's 07:00."""
    trips = trips_of(fleet, "pickup-m-01")
    assert len(trips) > 50
    for trip in trips:
        local = trip.planned.astimezone(ZONE)
        assert local.weekday() < 5
        assert local.date() not in HOLIDAYS
        assert abs(local - local.replace(hour=7, minute=0)) <= timedelta(minutes=30)  # ±3 sd of 10 min
        assert trip.back > trip.leave


def test_trips_are_on_the_grid_in_order_and_apart(fleet: Fleet):
    """Times fall on the 5-minute grid; each trip starts after the one before it ended."""
    for ev in fleet.evs:
        trips = trips_of(fleet, ev.ev_id)
        for trip in trips:
            for moment in (trip.planned, trip.leave, trip.back):
                assert moment.timestamp() % RESOLUTION.total_seconds() == 0
            assert 0.0 <= trip.used_kwh <= ev.capacity_kwh
        for before, after in itertools.pairwise(trips):
            assert after.leave >= before.back + RESOLUTION


def test_trip_energy_centres_on_what_the_routine_implies(fleet: Fleet):
    """A bus leaving at 0.9 and back at 0.55 of 155 kWh uses about 54 kWh a trip, varied day to day."""
    used = [t.used_kwh for t in trips_of(fleet, "bus-a-01")]
    assert len(set(used)) == len(used)
    assert statistics.mean(used) == pytest.approx((0.9 - 0.55) * 155, rel=0.1)


def test_early_departures_come_before_the_announced_time(fleet: Fleet):
    """On the profile's share of trips the owner leaves 15 min to 1 h earlier than planned."""
    trips = trips_of(fleet, "car-m-02")
    early = [t for t in trips if t.early]
    assert 0.1 < len(early) / len(trips) < 0.4
    for trip in early:
        assert timedelta(minutes=15) <= trip.planned - trip.leave <= timedelta(hours=1)
    assert all(t.leave == t.planned for t in trips if not t.early)


def test_commuters_work_from_home_on_some_days(fleet: Fleet):
    """A commute profile with a 35 % skip share travels on about 65 % of its routine's days."""
    trips = trips_of(fleet, "suv-h-01")
    weekdays = sum(1 for n in range((SEPTEMBER - JUNE).days) if (JUNE + timedelta(days=n)).weekday() < 5)
    share = len(trips) / (weekdays - len(HOLIDAYS))
    assert 0.5 < share < 0.8


def test_an_evs_life_does_not_depend_on_the_rest_of_the_fleet(fleet: Fleet):
    """Seeded per EV: the same trips alone, in another order, or beside other EVs."""
    alone = Fleet(tuple(ev for ev in fleet.evs if ev.ev_id == "car-h-02"))
    reversed_fleet = Fleet(tuple(reversed(fleet.evs)))
    assert trips_of(alone, "car-h-02") == trips_of(fleet, "car-h-02") == trips_of(reversed_fleet, "car-h-02")
    assert trips_of(fleet, "car-h-02", seed=4) != trips_of(fleet, "car-h-02")


def test_arrivals_carry_trip_energy_and_the_next_real_departure(fleet: Fleet):
    """Each trip ends in an arrival that takes its energy and sets the next trip's actual departure; the
    announced departure is the next trip as planned."""
    life = plan_life(fleet, PROFILES, span())
    arrivals = [a for a in life.arrivals() if a.ev_id == "car-m-02"]
    trips = next(x for x in life.lives if x.ev_id == "car-m-02").trips
    assert len(arrivals) == len(trips)
    for arrival, trip, following in zip(arrivals, trips, [*trips[1:], None], strict=True):
        assert arrival.at == trip.back
        assert arrival.used_kwh == trip.used_kwh
        assert arrival.plugged_in
        assert arrival.departure == (None if following is None else following.leave)
        announced = life.announced[("car-m-02", trip.back.timestamp())]
        assert announced == (None if following is None else following.planned.timestamp())


def test_an_ev_no_profile_matches_stays_plugged_in(fleet: Fleet):
    """EVs of sites no profile names have no trips and stay plugged in from the start."""
    life = plan_life(fleet, [LifeProfile(sites=["school-*"], calendar="school")], span())
    lives = {x.ev_id: x for x in life.lives}
    assert lives["car-h-02"].trips == ()
    initial = life.initial_fleet(fleet)
    car = initial.evs[initial.index("car-h-02")]
    assert car.plugged_in
    assert car.departure is None
    assert initial.evs[initial.index("bus-a-01")].departure == lives["bus-a-01"].trips[0].leave.astimezone(
        UTC
    )
