"""The mock VTN in enrolled mode checks every message's signature: unsigned, tampered, wrongly signed,
stale and replayed messages get oadrResponse 463 and change nothing."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from openleadr import OpenADRClient
from openleadr.messaging import parse_message

from tests.vtn_mock.conftest import VtnProcess, start_vtn, stop_vtn
from ven.clock import ManualClock
from ven.security.certs import init_pki, issue_leaf
from ven.security.keys import load_credentials
from ven.security.signing import MessageFactory, MessageSigner

pytestmark = pytest.mark.slow
XML = {"Content-Type": "application/xml"}


@dataclass
class Enrolled:
    vtn: VtnProcess
    certs: Path
    ven_id: str


@pytest.fixture(scope="module")
def enrolled_vtn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VtnProcess, Path]]:
    certs = tmp_path_factory.mktemp("vtn-signatures")
    now = datetime.now(UTC)
    pki = init_pki(certs, now, ven_name="ven-a")
    issue_leaf(pki.ca, "ven-b", now).write(certs, "ven-b")
    (certs / "vtn.toml").write_text(f"""
[enrollment]
mode = "enrolled"
[[enrollment.vens]]
name = "ven-a"
fingerprint = "{pki.ven.fingerprint}"
[tls]
cert = "vtn.crt"
key = "vtn.key"
ca_file = "ca.crt"
""")
    server = start_vtn(certs, "--config", str(certs / "vtn.toml"))
    yield server, certs
    assert stop_vtn(server) == 0, server.log.read_text()


async def _register(vtn: VtnProcess, certs: Path) -> str | None:
    client = OpenADRClient(
        ven_name="ven-a",
        vtn_url=vtn.openadr_url,
        cert=str(certs / "ven.crt"),
        key=str(certs / "ven.key"),
        ca_file=str(certs / "ca.crt"),
        show_fingerprint=False,
    )
    await client.run()
    await client.stop()
    return client.ven_id  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def enrolled(enrolled_vtn: tuple[VtnProcess, Path]) -> Enrolled:
    """ven-a registered through a stock openleadr client (signed with its certificate)."""
    vtn, certs = enrolled_vtn
    ven_id = asyncio.run(_register(vtn, certs))
    assert ven_id, vtn.log.read_text()
    return Enrolled(vtn, certs, ven_id)


def factory(certs: Path, stem: str, clock: ManualClock | None = None) -> MessageFactory:
    return MessageFactory(
        MessageSigner(load_credentials(certs / f"{stem}.crt", certs / f"{stem}.key"), clock)
    )


async def post(enrolled: Enrolled, service: str, body: str | bytes) -> tuple[str, int]:
    """POST over TLS as ven-a (its client certificate); the answer's message type and response code."""
    context = ssl.create_default_context(cafile=str(enrolled.certs / "ca.crt"))
    context.load_cert_chain(str(enrolled.certs / "ven.crt"), str(enrolled.certs / "ven.key"))
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{enrolled.vtn.openadr_url}/{service}", data=body, headers=XML, ssl=context) as resp,
    ):
        assert resp.status == 200, await resp.text()
        message_type, payload = parse_message(await resp.read())
    return message_type, int(payload["response"]["response_code"])


async def test_signed_poll_is_accepted_and_its_replay_refused(enrolled: Enrolled) -> None:
    """A poll signed with the enrolled certificate is answered 200; the very same bytes again get 463."""
    poll = factory(enrolled.certs, "ven")("oadrPoll", ven_id=enrolled.ven_id)
    assert await post(enrolled, "OadrPoll", poll) == ("oadrResponse", 200)
    assert await post(enrolled, "OadrPoll", poll) == ("oadrResponse", 463)
    assert "nonce seen before" in enrolled.vtn.log.read_text()


async def test_unsigned_poll_is_refused(enrolled: Enrolled) -> None:
    """Over TLS with signatures required, an unsigned poll from the enrolled VEN gets 463."""
    poll = MessageFactory(None)("oadrPoll", ven_id=enrolled.ven_id)
    assert await post(enrolled, "OadrPoll", poll) == ("oadrResponse", 463)


async def test_unsigned_registration_is_refused(enrolled: Enrolled) -> None:
    """Registration messages are checked too (stock openleadr checks only messages carrying a venID)."""
    query = MessageFactory(None)("oadrQueryRegistration", request_id="r1")
    assert await post(enrolled, "EiRegisterParty", query) == ("oadrResponse", 463)


async def test_tampered_poll_is_refused(enrolled: Enrolled) -> None:
    """A signed poll whose venID was changed after signing gets 463."""
    poll = factory(enrolled.certs, "ven")("oadrPoll", ven_id=enrolled.ven_id)
    assert await post(enrolled, "OadrPoll", poll.replace(enrolled.ven_id, "ven-x")) == ("oadrResponse", 463)


async def test_poll_signed_by_another_certificate_is_refused(enrolled: Enrolled) -> None:
    """Signed validly, but with ven-b's key over ven-a's TLS connection: 463."""
    poll = factory(enrolled.certs, "ven-b")("oadrPoll", ven_id=enrolled.ven_id)
    assert await post(enrolled, "OadrPoll", poll) == ("oadrResponse", 463)


async def test_stale_signature_is_refused(enrolled: Enrolled) -> None:
    """A correctly signed poll stamped ten minutes ago is refused as stale."""
    clock = ManualClock(datetime.now(UTC) - timedelta(minutes=10))
    poll = factory(enrolled.certs, "ven", clock)("oadrPoll", ven_id=enrolled.ven_id)
    assert await post(enrolled, "OadrPoll", poll) == ("oadrResponse", 463)
