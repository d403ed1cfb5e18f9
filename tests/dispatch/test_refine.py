"""Refinement: one solve at a time, the newest problem wins, and a stale result is never applied."""

from __future__ import annotations

import asyncio
import random
import threading
from datetime import timedelta

from policies.base import Allocation, PlanningProblem
from policies.fair import FairPolicy
from tests.dispatch.test_frozen_baseline import depot
from tests.events.conftest import START, distribution, make_event
from tests.waiting import until
from ven.chargers.simulated import SimulatedFleet
from ven.clock import ManualClock
from ven.dispatch.controller import DispatchController
from ven.dispatch.planner import Planner
from ven.dispatch.refine import Refiner
from ven.events import EventBook
from ven.storage import Store

WAIT_S = 10.0  # hang guard only


class Gate:
    """A solve that blocks in its thread until released, counting how many run at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started: list[int] = []
        self._lock = threading.Lock()
        self._running = 0
        self.most_at_once = 0

    def solve(self, job: int) -> int:
        with self._lock:
            self._running += 1
            self.most_at_once = max(self.most_at_once, self._running)
            self.started.append(job)
        try:
            assert self.release.wait(WAIT_S)
        finally:
            with self._lock:
                self._running -= 1
        return job * 10


async def test_one_solve_at_a_time_and_the_newest_waiting_job_wins():
    """While job 1 solves, jobs 2, 3 and 4 arrive: 2 and 3 are never solved, 4 is, after 1; only 4's
    result answers the newest problem."""
    gate = Gate()
    delivered: list[tuple[int, bool]] = []
    refiner: Refiner[int, int] = Refiner(gate.solve, lambda r, t: _record(delivered, refiner, r, t))
    refiner.submit(1)
    await until(lambda: gate.started == [1])
    for job in (2, 3, 4):
        refiner.submit(job)
    gate.release.set()
    await until(lambda: len(delivered) == 2)
    assert gate.started == [1, 4]
    assert gate.most_at_once == 1
    assert delivered == [(10, False), (40, True)]
    await refiner.close()


async def test_idle_waits_until_the_newest_result_is_delivered():
    """`idle()` returns only once no job waits or solves and the newest result was delivered."""
    gate = Gate()
    delivered: list[tuple[int, bool]] = []
    refiner: Refiner[int, int] = Refiner(gate.solve, lambda r, t: _record(delivered, refiner, r, t))
    await asyncio.wait_for(refiner.idle(), WAIT_S)  # nothing submitted yet
    refiner.submit(1)
    await until(lambda: gate.started == [1])
    refiner.submit(2)
    waiting = asyncio.create_task(refiner.idle())
    finished, _ = await asyncio.wait({waiting}, timeout=0)  # one turn of the loop: it starts, and waits
    assert not finished
    gate.release.set()
    await asyncio.wait_for(waiting, WAIT_S)
    assert delivered == [(10, False), (20, True)]
    await refiner.close()


async def test_cancel_makes_the_running_result_stale():
    """Cancelled while solving: the solve finishes in its thread, its result arrives marked stale."""
    gate = Gate()
    delivered: list[tuple[int, bool]] = []
    refiner: Refiner[int, int] = Refiner(gate.solve, lambda r, t: _record(delivered, refiner, r, t))
    refiner.submit(1)
    await until(lambda: refiner.solving)
    refiner.cancel()
    gate.release.set()
    await until(lambda: len(delivered) == 1)
    assert delivered == [(10, False)]
    await refiner.close()


async def test_close_does_not_wait_for_a_running_solve():
    """close() returns while a solve still blocks its thread; nothing is delivered afterwards."""
    gate = Gate()
    delivered: list[tuple[int, bool]] = []
    refiner: Refiner[int, int] = Refiner(gate.solve, lambda r, t: _record(delivered, refiner, r, t))
    refiner.submit(1)
    await until(lambda: refiner.solving)
    await asyncio.wait_for(refiner.close(), WAIT_S)
    gate.release.set()
    assert delivered == []


async def _record(delivered: list[tuple[int, bool]], refiner: Refiner[int, int], result: int, ticket: int):
    delivered.append((result, refiner.is_current(ticket)))


class SlowPolicy:
    """The configured policy: fair's plan, but each solve waits in its thread until the test releases it."""

    name = "slow"

    def __init__(self) -> None:
        self.gate = Gate()
        self._fair = FairPolicy()

    def allocate(self, problem: PlanningProblem) -> Allocation:
        self.gate.solve(len(self.gate.started) + 1)
        return self._fair.allocate(problem)


async def test_a_refinement_of_an_older_step_is_never_applied(tmp_path):
    """Step 1's refinement is still solving when step 2 comes: only step 2's refinement reaches the
    chargers, and at most one refinement solves at any time."""
    clock = ManualClock(START)
    fleet = depot()
    sim = SimulatedFleet(fleet, clock)
    store = Store.open(tmp_path / "ven.db")
    planner = Planner("optimal", quick_policy="proportional")
    slow = SlowPolicy()
    planner.policy = slow  # the configured policy is slow: steps get the quick plan, then a refinement
    controller = DispatchController(
        sim, fleet, planner, store, simple_levels={}, margin=0.0, setpoint_ttl=timedelta(minutes=10)
    )
    book = EventBook("ven-1", clock, random.Random(0))  # noqa: S311 - start randomisation only
    book.apply_distribution(distribution(make_event(values=(-300.0,) * 4)))
    view = book.get("e1")
    assert view is not None
    await controller.step(view, clock.now())
    await until(lambda: len(slow.gate.started) == 1)
    clock.advance(timedelta(minutes=5))
    await controller.step(view, clock.now())
    slow.gate.release.set()
    await until(lambda: [d.policy for d in store.dispatch.for_event("e1")][-1:] == ["slow"])
    await until(lambda: not controller._refiner.solving)
    decisions = [(d.policy, d.decided_at) for d in store.dispatch.for_event("e1")]
    second = START + timedelta(minutes=5)
    assert decisions == [("proportional", START), ("proportional", second), ("slow", second)]
    assert slow.gate.most_at_once == 1
    assert slow.gate.started == [1, 2]
    await controller.close()
    store.close()
