"""Opt decisions and answers in one place: raw (openleadr-parsed) distributions through the 2.0b edge into
a real VenApp's event flow, book and SQLite store, with a simulated fleet and no network."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from policies import load_policy
from policies.base import Allocation, PlanningProblem, Policy
from tests.openadr.conftest import raw_event, signal_dict
from ven.events import AnswerSource, Opt, answer_test_events
from ven.events.signals import convertible
from ven.openadr.events import EventResponder
from ven.runtime import eventflow
from ven.runtime.app import VenApp
from ven.runtime.config import load_config
from ven.runtime.eventflow import EventFlow
from ven.storage import OptAnswer

from .conftest import FLEET_CSV, write_config

VEN_ID = "ven-1"
IN_AN_HOUR = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
UNPLUGGED_CSV = FLEET_CSV.replace("0.2,1.0\n", "0.2,1.0,,,,false\n").replace(
    "min_soc,target_soc", "min_soc,target_soc,departure,departure_soc,efficiency,plugged_in"
)


@dataclass
class Ven:
    app: VenApp
    responder: EventResponder

    async def distribute(self, *events: dict[str, Any]) -> dict[str, tuple[str, int, str]]:
        """event_id -> (optType, responseCode, description) for one oadrDistributeEvent."""
        responses = await self.responder.respond({"request_id": "r", "vtn_id": "VTN", "events": list(events)})
        return {
            r["event_id"]: (r["opt_type"], r["response_code"], r["response_description"]) for r in responses
        }


def event(event_id: str, *signals: dict[str, Any], minutes: int = 15, **overrides: Any) -> dict[str, Any]:
    """A raw event starting in an hour; default signal LOAD_DISPATCH delta -20 kW for 2 x `minutes`."""
    chosen = list(signals) or [signal_dict("LOAD_DISPATCH", "delta", [-20.0, -20.0], minutes)]
    duration = sum((i["duration"] for i in chosen[0]["intervals"]), timedelta())
    return raw_event(
        event_id=event_id,
        event_signals=chosen,
        active_period={"dtstart": IN_AN_HOUR, "duration": duration},
        **overrides,
    )


@pytest.fixture
async def make_ven(tmp_path: Path) -> AsyncIterator[Callable[..., Ven]]:
    apps: list[VenApp] = []

    def make(fleet_csv: str = FLEET_CSV, folder: str = "ven", **dispatch: str) -> Ven:
        settings = 'policy = "optimal"\ncontrol_period = "1s"\n' + "\n".join(
            f"{k} = {v}" for k, v in dispatch.items()
        )
        (tmp_path / folder).mkdir(exist_ok=True)
        config = write_config(tmp_path / folder, "http://127.0.0.1:1/OpenADR2/Simple/2.0b", dispatch=settings)
        (tmp_path / folder / "fleet.csv").write_text(fleet_csv)
        app = VenApp.build(load_config(config))
        app.book.ven_id = VEN_ID
        app.flow.restore()
        apps.append(app)
        return Ven(app, EventResponder(app.flow.on_event, app.flow.on_distribution))

    yield make
    for app in apps:
        app.store.close()


async def test_every_answer_lives_in_the_book_and_the_store(make_ven: Callable[..., Ven]) -> None:
    """Whoever decides (the plan, the edge's 460/454, the target check, a test event), the answer is
    the book's and the store's, with what decided it; only the plan's optIn reaches dispatch."""
    ven = make_ven()
    answers = await ven.distribute(
        event("planned"),
        event("bid", signal_dict("BID_LOAD", "setpoint", [30.0, 30.0])),
        event("level7", signal_dict("SIMPLE", "level", [1.0, 7.0])),
        event("foreign", targets=[{"ven_id": "someone-else"}]),
        event("drill", test_event=True),
    )
    assert {k: v[:2] for k, v in answers.items()} == {
        "planned": ("optIn", 200),
        "bid": ("optOut", 460),
        "level7": ("optOut", 454),
        "foreign": ("optOut", 462),
        "drill": ("optIn", 200),
    }
    sources = {
        "planned": AnswerSource.POLICY,
        "bid": AnswerSource.UNSUPPORTED,
        "level7": AnswerSource.INVALID,
        "foreign": AnswerSource.TARGET,
        "drill": AnswerSource.TEST_EVENT,
    }
    book, store = ven.app.book, ven.app.store
    for event_id, source in sources.items():
        view = book.get(event_id)
        assert view is not None
        assert view.answer is not None
        assert (view.answer.source, view.answer.reason) == (source, answers[event_id][2])
        record = store.events.get(event_id)
        assert record is not None
        assert (record.opt, record.opt_reason, record.opt_source) == (
            OptAnswer(view.answer.opt.value),
            view.answer.reason,
            source.value,
        )
    dispatchable = sorted(v.event_id for v in book.views() if v.dispatchable)
    assert dispatchable == ["planned"]
    assert book.active_at(IN_AN_HOUR + timedelta(minutes=1)) == book.get("planned")


async def test_an_event_is_decided_once_per_modification(
    make_ven: Callable[..., Ven], caplog: pytest.LogCaptureFixture
) -> None:
    """A re-sent event gets the book's answer without planning again; a modification is decided anew."""
    ven = make_ven()
    with caplog.at_level(logging.INFO, logger="ven.events.opt"):
        first = await ven.distribute(event("e1"))
        again = await ven.distribute(event("e1"))
        modified = await ven.distribute(
            event("e1", signal_dict("LOAD_DISPATCH", "delta", [-500.0, -500.0]), modification_number=1)
        )
    assert first == again
    assert first["e1"][0] == "optIn"
    assert modified["e1"][0] == "optOut"
    assert len([r for r in caplog.records if "plan delivers" in r.getMessage()]) == 2


async def test_a_fleet_with_nothing_plugged_in_never_opts_in(make_ven: Callable[..., Ven]) -> None:
    """With every EV unplugged the VEN opts out whatever the share: it has nothing to deliver."""
    ven = make_ven(UNPLUGGED_CSV, opt_in_share="0.0")
    answers = await ven.distribute(event("e1"))
    assert answers["e1"][:2] == ("optOut", 200)
    assert "no EV is plugged in" in answers["e1"][2]


async def test_opt_in_share_sets_the_bar_and_the_share_is_logged(
    make_ven: Callable[..., Ven], caplog: pytest.LogCaptureFixture
) -> None:
    """The fleet can shed at most 74 kW (44 kW of charging, 30 kW of V2G): 100 kW is 74 % of the ask,
    out at the default share (0.8), in at 0.7; the planned share is logged either way."""
    ask = signal_dict("LOAD_DISPATCH", "delta", [-100.0, -100.0])
    with caplog.at_level(logging.INFO, logger="ven.events.opt"):
        default = await make_ven().distribute(event("e1", ask))
        lenient = await make_ven(folder="lenient", opt_in_share="0.7").distribute(event("e1", ask))
    assert default["e1"][0] == "optOut"
    assert lenient["e1"][0] == "optIn"
    logged = [r.getMessage() for r in caplog.records if "plan delivers" in r.getMessage()]
    assert len(logged) == 2
    assert all("plan delivers 74%" in line for line in logged)


async def test_a_restarted_ven_answers_from_the_store(
    make_ven: Callable[..., Ven], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers decided before a restart (acknowledged or not) come back from the store; nothing is
    planned again."""
    before = make_ven()
    answers = await before.distribute(
        event("e1"), event("bid", signal_dict("BID_LOAD", "setpoint", [1.0, 1.0]))
    )
    assert answers["e1"][0] == "optIn"
    before.app.store.close()
    planned: list[object] = []
    monkeypatch.setattr(eventflow, "plan_problem", lambda *args: planned.append(args))
    after = make_ven()
    again = await after.distribute(event("e1"), event("bid", signal_dict("BID_LOAD", "setpoint", [1.0, 1.0])))
    assert again == answers
    assert planned == []


class HeldPolicy:
    """The fair policy, held in its worker thread until released (to watch the event loop meanwhile)."""

    name = "held"

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self._inner: Policy = load_policy("fair")

    def allocate(self, problem: PlanningProblem) -> Allocation:
        self.started.set()
        self.release.wait(30)
        return self._inner.allocate(problem)


@dataclass
class Policies:
    """A configured policy, the quick one, and whether the quick one plans first."""

    policy: Policy
    quick_policy: Policy
    quick_first: bool

    def needs_quick(self, _problem: PlanningProblem) -> bool:
        return self.quick_first


def held_flow(app: VenApp, policies: Policies, budget: timedelta = timedelta(seconds=5)) -> EventResponder:
    flow = EventFlow(
        app.book,
        app.store,
        app.clock,
        preview=app.controller.preview,
        policies=policies,
        deciders=(convertible, answer_test_events),
        opt_in_share=0.8,
        on_change=lambda: None,
        budget=budget,
    )
    return EventResponder(flow.on_event, flow.on_distribution)


async def test_the_plan_for_the_decision_runs_off_the_event_loop(make_ven: Callable[..., Ven]) -> None:
    """While the configured policy plans an opt decision, the event loop keeps running other work."""
    app = make_ven().app
    policy = HeldPolicy()
    responder = held_flow(app, Policies(policy, load_policy("fair"), quick_first=False))
    deciding = asyncio.create_task(responder.respond({"request_id": "r", "events": [event("e1")]}))
    ticks = 0
    async with asyncio.timeout(10):  # a hang guard
        while not policy.started.is_set() or ticks < 100:
            await asyncio.sleep(0)
            ticks += 1
    assert not deciding.done()  # the loop ran 100 times while the plan was still being made
    policy.release.set()
    [response] = await asyncio.wait_for(deciding, 10)
    assert response["opt_type"] == "optIn"
    view = app.book.get("e1")
    assert view is not None
    assert view.opt is Opt.IN


async def test_a_configured_policy_too_slow_for_the_answer_leaves_it_to_the_quick_plan(
    make_ven: Callable[..., Ven], caplog: pytest.LogCaptureFixture
) -> None:
    """Where the configured policy does not plan within the budget, the quick policy's verified plan
    (what dispatch keeps until a refinement lands) decides, and says so."""
    app = make_ven().app
    slow = HeldPolicy()
    responder = held_flow(app, Policies(slow, load_policy("fair"), quick_first=True), timedelta(seconds=0.2))
    ask = signal_dict("LOAD_DISPATCH", "delta", [-100.0, -100.0])  # 74 %: the quick plan falls short
    try:
        with caplog.at_level(logging.INFO):
            [response] = await responder.respond({"request_id": "r", "events": [event("e1", ask)]})
    finally:
        slow.release.set()
    assert slow.started.is_set()  # it was asked
    assert response["opt_type"] == "optOut"
    assert "plan delivers 74%" in response["response_description"]
    assert "held did not plan within 0.2 s; deciding with the quick plan" in caplog.text


async def test_a_quick_plan_that_delivers_everything_decides_at_once(make_ven: Callable[..., Ven]) -> None:
    """When the quick plan already delivers the whole request, the slow configured policy is not asked."""
    app = make_ven().app
    slow = HeldPolicy()
    responder = held_flow(app, Policies(slow, load_policy("fair"), quick_first=True))
    [response] = await responder.respond({"request_id": "r", "events": [event("e1")]})
    assert response["opt_type"] == "optIn"
    assert not slow.started.is_set()
