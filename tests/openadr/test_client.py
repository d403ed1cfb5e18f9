"""VenClient against a real openleadr VTN over 127.0.0.1 HTTP."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from ven.events import Answer, AnswerSource
from ven.events.model import Distribution, DrEvent
from ven.openadr.client import Backoff, Registration, RegistrationError

from .conftest import Vtn, free_port, make_client

WAIT = 5.0


async def test_registers_and_exposes_registration(vtn: Vtn, started: list) -> None:
    """A fresh VEN registers and hands its ids and poll interval to the runtime."""
    persisted: list[Registration] = []

    async def persist(registration: Registration) -> None:
        persisted.append(registration)

    client = make_client(vtn.url, on_registration=persist)
    started.append(client)
    registration = await client.start()
    assert registration == Registration("ven-1", "reg-1", timedelta(seconds=1))
    assert persisted == [registration]
    assert client.registration == registration


async def test_event_opt_in_reaches_vtn(vtn: Vtn, started: list) -> None:
    """The runtime's typed event arrives and its optIn reaches the VTN's event callback."""
    seen: list[DrEvent] = []

    async def on_event(event: DrEvent) -> Answer:
        seen.append(event)
        return Answer.opt_in()

    client = make_client(vtn.url, on_event=on_event)
    started.append(client)
    registration = await client.start()
    opted = vtn.add_event(registration.ven_id, values=[-500.0, -250.0])
    assert await asyncio.wait_for(opted, WAIT) == "optIn"
    assert [s.intervals[1].value for s in seen[0].signals] == [-250.0]
    assert vtn.created_events[-1]["event_responses"][0]["response_code"] == 200


async def test_event_opt_out_carries_response_code(vtn: Vtn, started: list) -> None:
    """An optOut goes to the VTN with the runtime's reason and the response code of what decided it."""

    async def on_event(_event: DrEvent) -> Answer:
        return Answer.opt_out("programme oadr://other is not ours", AnswerSource.MARKET_CONTEXT)

    client = make_client(vtn.url, on_event=on_event)
    started.append(client)
    registration = await client.start()
    opted = vtn.add_event(registration.ven_id)
    assert await asyncio.wait_for(opted, WAIT) == "optOut"
    response = vtn.created_events[-1]["event_responses"][0]
    assert (response["response_code"], response["response_description"]) == (
        462,
        "programme oadr://other is not ours",
    )


async def test_distribution_lists_every_event_id(vtn: Vtn, started: list) -> None:
    """Each oadrDistributeEvent reaches the runtime with all its event ids (for implied cancellation)."""
    distributions: list[Distribution] = []

    async def on_distribution(distribution: Distribution) -> None:
        distributions.append(distribution)

    client = make_client(vtn.url, on_distribution=on_distribution)
    started.append(client)
    registration = await client.start()
    first = vtn.add_event(registration.ven_id, event_id="a")
    await asyncio.wait_for(first, WAIT)
    second = vtn.add_event(registration.ven_id, event_id="b")
    await asyncio.wait_for(second, WAIT)
    assert distributions[0].event_ids == ("a",)
    assert set(distributions[-1].event_ids) == {"a", "b"}
    assert distributions[-1].vtn_id == "VTN"


async def test_reregisters_on_request(vtn: Vtn, started: list) -> None:
    """oadrRequestReregistration: the VEN registers again, keeping its registrationID, and keeps polling."""
    renewed: list[Registration] = []

    async def persist(registration: Registration) -> None:
        renewed.append(registration)

    client = make_client(vtn.url, on_registration=persist)
    started.append(client)
    registration = await client.start()
    vtn.known.clear()  # the VTN forgets the VEN: its ven_lookup now answers with a reregistration request
    async with asyncio.timeout(WAIT):
        while len(vtn.registrations) < 2:
            await asyncio.sleep(0.02)
    assert vtn.registrations[1]["registration_id"] == registration.registration_id
    assert vtn.registrations[1]["ven_id"] == registration.ven_id
    opted = vtn.add_event(registration.ven_id)
    assert await asyncio.wait_for(opted, WAIT) == "optIn"
    assert len(renewed) == 2


async def test_stored_registration_is_reused(vtn: Vtn, started: list) -> None:
    """A restarted VEN with a registration the VTN still knows does not register again."""
    vtn.known["ven-7"] = "reg-7"
    client = make_client(vtn.url, registration=Registration("ven-7", "reg-7", timedelta(seconds=1)))
    started.append(client)
    await client.start()
    opted = vtn.add_event("ven-7")
    assert await asyncio.wait_for(opted, WAIT) == "optIn"
    assert vtn.registrations == []
    assert "EiRegisterParty" not in vtn.requests


async def test_stale_stored_registration_registers_again(vtn: Vtn, started: list) -> None:
    """A stored registration the VTN no longer knows leads to a fresh registration at start."""
    client = make_client(vtn.url, registration=Registration("ven-7", "reg-7"))
    started.append(client)
    registration = await client.start()
    assert [r["ven_id"] for r in vtn.registrations] == ["ven-7"]
    assert registration.ven_id == "ven-7"


async def test_backoff_until_vtn_comes_up(started: list) -> None:
    """VTN down at start: registration retries with capped exponential backoff and succeeds once it is up."""
    late = Vtn(free_port())
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 3:
            await late.start()

    client = make_client(
        late.url, sleep=sleep, backoff=Backoff(timedelta(seconds=1), 2.0, timedelta(seconds=3), attempts=10)
    )
    started.append(client)
    try:
        registration = await client.start()
    finally:
        await client.stop()
        if late.server is not None:
            await late.stop()
    assert delays[:3] == [1.0, 2.0, 3.0]
    assert registration.ven_id == "ven-1"


async def test_gives_up_after_attempts(started: list) -> None:
    """With a bounded number of attempts, an unreachable VTN ends in RegistrationError."""
    client = make_client(f"http://127.0.0.1:{free_port()}/OpenADR2/Simple/2.0b", backoff=Backoff(attempts=2))
    started.append(client)
    with pytest.raises(RegistrationError):
        await client.start()


async def test_an_unreachable_vtn_is_logged_once_per_outage(
    vtn: Vtn, started: list, caplog: pytest.LogCaptureFixture
) -> None:
    """Each registration attempt against an unreachable VTN is one request and one line; polls during an
    outage log its cause once (repeats at DEBUG), and its end once."""
    caplog.set_level(logging.DEBUG, logger="ven.openadr")
    down = f"http://127.0.0.1:{free_port()}/OpenADR2/Simple/2.0b"
    unreachable = make_client(down, backoff=Backoff(attempts=3))
    started.append(unreachable)
    with pytest.raises(RegistrationError):
        await unreachable.start()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "VTN unreachable" in w]) == 1
    assert len([w for w in warnings if w.startswith("registration attempt")]) == 2
    assert len([r for r in caplog.records if "EiRegisterParty" in r.getMessage()]) == 3  # one per attempt

    caplog.clear()
    client = make_client(vtn.url)
    started.append(client)
    await client.start()
    await vtn.stop()
    for _ in range(4):
        assert await client.poll_once() is None
    await vtn.start()  # the same VTN back on its port
    assert await client.poll_once() is not None
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name.startswith("ven.openadr")]
    failures = [level for level, line in lines if "VTN unreachable" in line]  # its own polls count too
    assert len(failures) >= 4
    assert failures == [logging.WARNING] + [logging.DEBUG] * (len(failures) - 1)
    recovered = [line for _, line in lines if "answers again" in line]
    assert recovered == [f"VTN at {vtn.url} answers again after {len(failures)} failed requests"]


async def test_answers_are_given_once_and_heard_back_after_acknowledgement(vtn: Vtn, started: list) -> None:
    """on_answered hears each answer once the VTN acknowledged it; answers already given are not resent."""
    given: list = []
    client = make_client(vtn.url, on_answered=given.extend)
    started.append(client)
    registration = await client.start()
    opted = vtn.add_event(registration.ven_id)
    assert await asyncio.wait_for(opted, WAIT) == "optIn"
    async with asyncio.timeout(WAIT):
        while not given:
            await asyncio.sleep(0.02)
    assert [(g.modification_number, g.opt) for g in given] == [(0, "optIn")]
    await client.stop()
    started.remove(client)

    sent_before = len(vtn.created_events)
    restarted = make_client(vtn.url, registration=registration, answered=lambda _e, _m: True)
    started.append(restarted)
    await restarted.start()
    for _ in range(10):
        await restarted.poll_once()
    assert len(vtn.created_events) == sent_before


async def test_link_state_follows_the_polls(vtn: Vtn, started: list) -> None:
    """link_up is True after registration and False once a poll gets no answer."""
    client = make_client(vtn.url)
    started.append(client)
    await client.start()
    assert client.link_up
    await vtn.stop()
    await client.poll_once()
    assert not client.link_up
    await vtn.start()
