"""The simulated-time event loop: skips idle time, never while work is in flight."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web

from ven.simtime import LoopClock, SimulatedTimeLoop, connector_options, network_exchange

EPOCH = datetime(2026, 7, 1, tzinfo=UTC)


def run(coro_factory, *, stall_s: float = 30.0):
    loop = SimulatedTimeLoop(stall_s=stall_s)
    try:
        return loop.run_until_complete(coro_factory()), loop
    finally:
        loop.close()


def test_sleeps_complete_in_simulated_time_in_order():
    """A day of sleeps takes no real day: timers fire in order, each at its simulated time."""
    fired: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        fired.append((name, asyncio.get_running_loop().time()))

    async def main() -> None:
        await asyncio.gather(sleeper("day", 86400), sleeper("hour", 3600), sleeper("minute", 60))

    _, loop = run(main)
    assert fired == [("minute", 60.0), ("hour", 3600.0), ("day", 86400.0)]
    assert loop.jumps == 3


def test_loop_clock_follows_the_loop():
    """LoopClock reads the epoch plus the loop's simulated seconds."""

    async def main() -> tuple[datetime, datetime]:
        clock = LoopClock(asyncio.get_running_loop(), EPOCH)
        before = clock.now()
        await asyncio.sleep(5400)
        return before, clock.now()

    (before, after), _ = run(main)
    assert before == EPOCH
    assert after == EPOCH + timedelta(minutes=90)


def test_a_hold_keeps_the_clock_still():
    """While an exchange is in flight, the loop waits for it instead of skipping to the next timer."""

    async def main() -> tuple[float, bool, float]:
        loop = asyncio.get_running_loop()
        answered = asyncio.Event()
        sleeper = asyncio.create_task(asyncio.sleep(3600))

        def peer() -> None:  # answers a moment later, from outside the loop, as a socket would
            threading.Event().wait(0.05)
            loop.call_soon_threadsafe(answered.set)

        threading.Thread(target=peer).start()
        with network_exchange():
            await answered.wait()
            at_answer, sleeper_done = loop.time(), sleeper.done()
        await sleeper
        return at_answer, sleeper_done, loop.time()

    (at_answer, sleeper_done, after), _ = run(main)
    assert at_answer == 0.0
    assert not sleeper_done
    assert after == 3600.0


def test_executor_work_keeps_the_clock_still():
    """A worker thread's job runs to its end before the clock moves to the next timer."""
    started, proceed = threading.Event(), threading.Event()

    def job() -> str:
        started.set()
        proceed.wait(10)
        return "done"

    async def main() -> tuple[str, float, float]:
        loop = asyncio.get_running_loop()
        sleeper = asyncio.create_task(asyncio.sleep(600))
        future = loop.run_in_executor(None, job)
        await asyncio.to_thread(started.wait, 10)
        proceed.set()
        result = await future
        at_result = loop.time()
        await sleeper
        return result, at_result, loop.time()

    (result, at_result, after), _ = run(main)
    assert result == "done"
    assert at_result == 0.0
    assert after == 600.0


def test_a_stalled_exchange_lets_time_move_at_real_speed():
    """A hold that never ends does not freeze the season: past stall_s real seconds, time moves on."""

    async def main() -> float:
        loop = asyncio.get_running_loop()
        with network_exchange():
            await asyncio.wait_for(asyncio.sleep(0.05), timeout=None)
        return loop.time()

    after, _ = run(main, stall_s=0.1)
    assert after >= 0.05


async def _exchange(port: int, body: str) -> str:
    connector = aiohttp.TCPConnector(**connector_options())
    timeout = aiohttp.ClientTimeout(total=30, sock_read=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        with network_exchange():
            async with session.post(f"http://127.0.0.1:{port}/x", data=body) as response:
                return await response.text()


def test_http_over_loopback_with_far_timers():
    """Requests over loopback HTTP between hourly sleeps: every answer arrives, no request times out."""

    async def main() -> tuple[list[str], float]:
        async def handle(request: web.Request) -> web.Response:
            return web.Response(text=f"ok {await request.text()}")

        app = web.Application()
        app.router.add_post("/x", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        answers = []
        try:
            for _ in range(24):
                await asyncio.sleep(3600)
                answers.append(await _exchange(port, "0"))
        finally:
            await runner.cleanup()
        return answers, asyncio.get_running_loop().time()

    (answers, after), loop = run(main)
    assert answers == ["ok 0"] * 24
    assert after == pytest.approx(24 * 3600.0)
    assert loop.jumps < 200  # hourly sleeps, not aiohttp keep-alive checks every few seconds


def test_an_ordinary_loop_is_left_alone():
    """On a stock event loop network_exchange is a no-op and connectors keep their defaults."""

    async def main() -> dict[str, object]:
        with network_exchange():
            return connector_options()

    assert asyncio.run(main()) == {}


def test_the_vens_http_client_holds_the_clock_during_an_exchange():
    """The VEN's OpenADR client marks each request in flight: a peer that answers late (in real time)
    does not let simulated time run on to the next timer meanwhile."""
    from ven.openadr.workarounds import PatchedClient  # noqa: PLC0415 - openleadr import kept local

    async def main() -> tuple[float, bool]:
        loop = asyncio.get_running_loop()
        answer = asyncio.Event()

        async def handle(_: web.Request) -> web.Response:
            await answer.wait()
            return web.Response(body=b"", content_type="application/xml")

        def peer() -> None:  # the answer comes a moment later, from outside the loop
            threading.Event().wait(0.05)
            loop.call_soon_threadsafe(answer.set)

        app = web.Application()
        app.router.add_post("/OpenADR2/Simple/2.0b/EiEvent", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        client = PatchedClient("ven", f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b")
        sleeper = asyncio.create_task(asyncio.sleep(3600))
        threading.Thread(target=peer).start()
        try:
            assert await client._perform_request("EiEvent", "<x/>") == (None, {})
            return loop.time(), sleeper.done()
        finally:
            sleeper.cancel()
            await client.client_session.close()
            await runner.cleanup()

    (after, sleeper_done), _ = run(main)
    assert after == 0.0
    assert not sleeper_done
