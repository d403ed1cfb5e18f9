"""Property-based fuzzing: mutated oadrDistributeEvent / oadrResponse / oadrRegisterReport messages never
crash either side; each gets a clean answer (VEN: handled or ignored, and whatever it sends back is
well-formed XML; VTN: OpenADR answer or 4xx). How fast they are refused is measured in
benchmarks/bench_hostile_input.py, not asserted here."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openleadr.messaging import parse_message, validate_xml_schema

from tests.openadr.conftest import opt_in
from ven.clock import SystemClock
from ven.openadr.client import Registration, VenClient
from ven.security.certs import LocalPki
from ven.security.settings import Security
from ven.security.verify import SignatureVerifier
from vtn_mock.core import Enrollment, VtnCore
from vtn_mock.openadr_server import PATH_PREFIX, OpenADREndpoint
from vtn_mock.store import Store

from . import seeds
from .mutations import mutated

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
VEN_SEEDS = [seeds.distribute_event().encode(), seeds.response().encode(), seeds.register_report().encode()]
VTN_SEEDS = [("EiReport", VEN_SEEDS[2]), ("EiEvent", VEN_SEEDS[0]), ("OadrPoll", VEN_SEEDS[1])]


class FuzzVen:
    """A VenClient whose oadrPoll answer is whatever the test says; what it sends back is recorded."""

    def __init__(self, security: Security) -> None:
        self.runner = asyncio.Runner()
        self.answer = b""
        self.sent: list[str] = []
        self.client = VenClient(
            "fuzz-ven",
            "http://127.0.0.1:1",
            on_event=opt_in,
            security=security,
            registration=Registration("ven-1", "reg-1"),
        )
        patched = self.client._client
        patched.ven_id = "ven-1"

        async def perform(service: str, message: str) -> tuple[str | None, dict[str, Any]]:
            if service == "OadrPoll":
                return patched._parse_answer(service, self.answer)
            self.sent.append(message)
            return None, {}

        patched._perform_request = perform  # type: ignore[method-assign]

    def poll(self, body: bytes) -> str | None:
        self.answer = body
        return self.runner.run(self.client.poll_once())


@pytest.fixture
def fuzz_ven() -> Iterator[FuzzVen]:
    ven = FuzzVen(Security())
    yield ven
    ven.runner.close()


@given(data=st.data(), seed=st.sampled_from(VEN_SEEDS))
@FUZZ
def test_ven_survives_mutated_vtn_answers(fuzz_ven: FuzzVen, data: st.DataObject, seed: bytes) -> None:
    """A mutated VTN answer is handled or ignored with a log line; poll_once never raises; whatever the VEN
    sends back (an oadrCreatedEvent echoing the mutated event ids and texts, say) is well-formed XML."""
    fuzz_ven.sent.clear()
    message_type = fuzz_ven.poll(data.draw(mutated(seed)))
    assert message_type is None or isinstance(message_type, str)
    strict = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    for message in fuzz_ven.sent:
        etree.fromstring(message.encode(), strict)


@pytest.fixture
def signed_seeds(pki: LocalPki, pki_dir: Path) -> list[bytes]:
    keys = {"cert": (pki_dir / "vtn.crt").read_bytes(), "key": (pki_dir / "vtn.key").read_bytes()}
    return [seeds.distribute_event(**keys).encode(), seeds.response(**keys).encode()]


@given(data=st.data(), index=st.sampled_from([0, 1]))
@FUZZ
def test_mutated_signed_answers_are_refused_or_unchanged(
    pki: LocalPki, pki_dir: Path, signed_seeds: list[bytes], data: st.DataObject, index: int
) -> None:
    """With the VTN pinned, a mutated signed answer is either refused or means exactly what was signed."""
    ven = FuzzVen(Security(vtn_fingerprint=pki.vtn.fingerprint))
    try:
        seed = signed_seeds[index]
        body = data.draw(mutated(seed))
        ven.client._client._verifier = SignatureVerifier()  # a fresh replay guard: each example is new
        accepted = ven.client._client._parse_answer("OadrPoll", body)
        if accepted[0] is not None:
            validate_xml_schema(seed)
            assert accepted == parse_message(seed)
    finally:
        ven.runner.close()


class FuzzVtn:
    """The mock VTN's OpenADR endpoint (guard, openleadr, our handlers) in process, on a test server."""

    def __init__(self, database: Path) -> None:
        self.runner = asyncio.Runner()
        core = VtnCore(Store(database), SystemClock(), lambda prefix: f"{prefix}-1", Enrollment())
        core.register("fuzz-ven", None)
        endpoint = OpenADREndpoint(core, "FUZZ-VTN", timedelta(seconds=10))
        self.client: TestClient[Any, Any] = self.runner.run(self._start(endpoint))

    @staticmethod
    async def _start(endpoint: OpenADREndpoint) -> TestClient[Any, Any]:
        client: TestClient[Any, Any] = TestClient(TestServer(endpoint.build_app()))
        await client.start_server()
        return client

    def post(self, service: str, body: bytes) -> tuple[int, bytes]:
        async def send() -> tuple[int, bytes]:
            response = await self.client.post(
                f"{PATH_PREFIX}/{service}", data=body, headers={"Content-Type": "application/xml"}
            )
            return response.status, await response.read()

        return self.runner.run(send())

    def close(self) -> None:
        self.runner.run(self.client.close())
        self.runner.close()


@pytest.fixture
def fuzz_vtn(tmp_path: Path) -> Iterator[FuzzVtn]:
    vtn = FuzzVtn(tmp_path / "vtn.sqlite")
    yield vtn
    vtn.close()


@given(data=st.data(), target=st.sampled_from(VTN_SEEDS))
@FUZZ
def test_vtn_answers_mutated_messages_cleanly(
    fuzz_vtn: FuzzVtn, data: st.DataObject, target: tuple[str, bytes]
) -> None:
    """A mutated VEN message gets an OpenADR answer (200) or a 4xx; never a 5xx."""
    service, seed = target
    status, body = fuzz_vtn.post(service, data.draw(mutated(seed)))
    assert status in {200, 400, 413, 415}, (status, body[:200])
    if status == 200 and body.strip():
        message_type, _ = parse_message(body)
        assert message_type.startswith("oadr")
