"""A VTN whose poll answers turn hostile: the VEN survives each, keeps polling, and still answers events."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from ven.openadr import workarounds
from ven.openadr.client import VenClient
from ven.security.certs import LocalPki
from ven.security.keys import load_credentials

from . import hostile
from .conftest import TlsVtn, make_ven, ven_security

WAIT = 10.0


async def _opted(tls_vtn: TlsVtn, ven_id: str) -> str:
    return await asyncio.wait_for(tls_vtn.add_event(ven_id, values=[-500.0]), WAIT)


async def test_ven_survives_hostile_answers_and_answers_the_next_event(
    tls_vtn: TlsVtn, pki: LocalPki, pki_dir: Path, clients: list[VenClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entity expansion, external entity, garbage, truncated, HTTP 500, 20 MB (declared and chunked), a
    trickle, unsigned, tampered, wrongly signed and replayed answers: none is acted on, the VEN lives on."""
    monkeypatch.setattr(workarounds, "REQUEST_TIMEOUT", aiohttp.ClientTimeout(total=1, sock_read=2))
    client = make_ven(tls_vtn.url, ven_security(pki_dir, pki.vtn.fingerprint))
    clients.append(client)
    registration = await client.start()
    assert await _opted(tls_vtn, registration.ven_id) == "optIn"
    real = next(body for body in tls_vtn.signed_answers if b"oadrDistributeEvent" in body)
    responded = len(tls_vtn.created_events)

    other = load_credentials(pki_dir / "ven.crt", pki_dir / "ven.key")
    tls_vtn.poll_answers = [
        hostile.xml(hostile.BILLION_LAUGHS),
        hostile.xml(hostile.EXTERNAL_ENTITY),
        hostile.xml(hostile.GARBAGE),
        hostile.xml(real[: len(real) // 2]),
        hostile.xml(b"", status=500),
        hostile.twenty_mb_declared,
        hostile.twenty_mb_chunked,
        hostile.slow_drip,
        hostile.xml(hostile.unsigned(real)),
        hostile.xml(hostile.tampered(real)),
        hostile.xml(hostile.signed_by(real, other)),
        hostile.xml(real),
    ]
    async with asyncio.timeout(WAIT):
        while tls_vtn.poll_answers:
            await asyncio.sleep(0.02)
        polls = tls_vtn.polls
        while tls_vtn.polls < polls + 3:  # and it keeps polling
            await asyncio.sleep(0.02)

    assert len(tls_vtn.created_events) == responded, "no hostile or replayed answer was acted on"
    assert client.refused_answers == 4  # two entity documents, two 20 MB bodies: refused unparsed
    assert client.untrusted_answers == 4  # unsigned, tampered, wrong signer, replayed
    assert await _opted(tls_vtn, registration.ven_id) == "optIn"
