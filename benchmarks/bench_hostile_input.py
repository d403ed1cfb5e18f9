"""How fast hostile or broken OpenADR input is refused, on both sides (the tests check that it is; this
measures how fast).

Run: `.venv/bin/python benchmarks/bench_hostile_input.py [--repeats 20] [--mutations 200]`.

- VTN: the mock VTN's OpenADR endpoint (XML guard, openleadr, our handlers) in process on a test server;
  each hostile body (billion laughs, external entity, truncated, schema-invalid, not XML, 1.5 MB) posted to
  oadrPoll `--repeats` times, then `--mutations` random mutations of real VEN messages (the fuzz tests'
  strategy): milliseconds from request to answer, median and max.
- VEN: `PatchedClient._parse_answer` (what a VEN does with every VTN answer) on the same hostile bodies and
  on `--mutations` mutations of real VTN answers: milliseconds per answer, median and max.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.security import seeds
from tests.security.mutations import mutated
from tests.vtn_mock.test_hostile_input import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    OVERSIZE,
    SCHEMA_INVALID,
    TRUNCATED,
)
from ven.clock import SystemClock
from ven.openadr.workarounds import PatchedClient
from vtn_mock.core import Enrollment, VtnCore
from vtn_mock.openadr_server import PATH_PREFIX, OpenADREndpoint
from vtn_mock.store import Store

HOSTILE = {
    "billion laughs": BILLION_LAUGHS,
    "external entity": EXTERNAL_ENTITY,
    "truncated": TRUNCATED,
    "schema-invalid": SCHEMA_INVALID,
    "not XML": b"hello",
    "1.5 MB": OVERSIZE,
}
VEN_MESSAGES = [
    seeds.distribute_event().encode(),
    seeds.response().encode(),
    seeds.register_report().encode(),
]


def draw_mutations(count: int) -> list[bytes]:
    """`count` mutations of real messages, drawn with the fuzz tests' strategy (hypothesis, seeded)."""
    drawn: list[bytes] = []

    @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data(), seed=st.sampled_from(VEN_MESSAGES))
    def collect(data: st.DataObject, seed: bytes) -> None:
        drawn.append(data.draw(mutated(seed)))

    collect()
    return drawn[:count]


def summary(name: str, samples_ms: list[float]) -> str:
    return (
        f"  {name:<22} median {statistics.median(samples_ms):7.2f} ms   max {max(samples_ms):7.2f} ms"
        f"   (n={len(samples_ms)})"
    )


async def vtn_side(repeats: int, mutations: list[bytes], folder: Path) -> None:
    core = VtnCore(Store(folder / "vtn.sqlite"), SystemClock(), lambda prefix: f"{prefix}-1", Enrollment())
    core.register("bench-ven", None)
    endpoint = OpenADREndpoint(core, "BENCH-VTN", timedelta(seconds=10))
    client: TestClient = TestClient(TestServer(endpoint.build_app()))  # type: ignore[type-arg]
    await client.start_server()
    headers = {"Content-Type": "application/xml"}

    async def timed(service: str, body: bytes) -> float:
        started = time.perf_counter()
        response = await client.post(f"{PATH_PREFIX}/{service}", data=body, headers=headers)
        await response.read()
        assert response.status < 500, response.status
        return (time.perf_counter() - started) * 1000

    try:
        print("VTN (mock, in process): request -> answer")
        for name, body in HOSTILE.items():
            print(summary(name, [await timed("OadrPoll", body) for _ in range(repeats)]))
        services = ("EiEvent", "OadrPoll", "EiReport")
        times = [await timed(services[k % len(services)], body) for k, body in enumerate(mutations)]
        print(summary("fuzzed VEN messages", times))
    finally:
        await client.close()


def ven_side(repeats: int, mutations: list[bytes]) -> None:
    client = PatchedClient("bench-ven", "http://127.0.0.1:1")
    parse = client._parse_answer  # noqa: SLF001 - what every VTN answer goes through, without the network

    def timed(parse: Callable[[], object]) -> float:
        started = time.perf_counter()
        parse()
        return (time.perf_counter() - started) * 1000

    print("VEN: one VTN answer checked and parsed")
    for name, body in HOSTILE.items():
        print(summary(name, [timed(lambda b=body: parse("OadrPoll", b)) for _ in range(repeats)]))
    print(summary("fuzzed VTN answers", [timed(lambda b=b: parse("OadrPoll", b)) for b in mutations]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--mutations", type=int, default=200)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # every refusal is logged; not what is measured here
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    mutations = draw_mutations(args.mutations)
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(vtn_side(args.repeats, mutations, Path(folder)))
    ven_side(args.repeats, mutations)


if __name__ == "__main__":
    main()
