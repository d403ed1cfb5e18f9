"""Certificates made per test, and a stock openleadr VTN over TLS with XML signatures.

The VTN is `tests.openadr.conftest.Vtn` (a real OpenADRServer on 127.0.0.1) started with a server
certificate, client-certificate checking, message signing and signature verification. Its poll answers can
be replaced one by one (`poll_answers`) to play a hostile VTN.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.openadr.conftest import Vtn, fast_sleep, free_port, opt_in
from ven.openadr.client import Backoff, VenClient
from ven.security.certs import LocalPki, init_pki
from ven.security.settings import Security

PollAnswer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
def pki(tmp_path: Path) -> LocalPki:
    return init_pki(tmp_path / "pki", datetime.now(UTC), ven_name="test-ven")


@pytest.fixture
def pki_dir(tmp_path: Path, pki: LocalPki) -> Path:
    return tmp_path / "pki"


def ven_security(pki_dir: Path, vtn_fingerprint: str | None) -> Security:
    return Security(
        cert=str(pki_dir / "ven.crt"),
        key=str(pki_dir / "ven.key"),
        ca_file=str(pki_dir / "ca.crt"),
        vtn_fingerprint=vtn_fingerprint,
    )


@dataclass
class TlsVtn(Vtn):
    """openleadr's OpenADRServer over HTTPS with client certificates, signing and verifying messages."""

    pki_dir: Path = Path()
    ven_fingerprint: str = ""
    poll_answers: list[PollAnswer] = field(default_factory=list)
    signed_answers: list[bytes] = field(default_factory=list)  # real oadrPoll answers, as sent
    polls: int = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/OpenADR2/Simple/2.0b"

    def server_settings(self) -> dict[str, Any]:
        certs = self.pki_dir
        return {
            "cert": str(certs / "vtn.crt"),
            "key": str(certs / "vtn.key"),
            "http_cert": str(certs / "vtn.crt"),
            "http_key": str(certs / "vtn.key"),
            "http_ca_file": str(certs / "ca.crt"),
            "show_fingerprint": False,
            "show_server_cert_domain": False,
            "verify_message_signatures": True,
        }

    def middleware(self) -> Callable[..., Any]:
        return self._poll_middleware

    def _lookup(self, ven_id: str) -> dict[str, Any] | None:
        found = super()._lookup(ven_id)
        return None if found is None else {**found, "fingerprint": self.ven_fingerprint}

    @web.middleware
    async def _poll_middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        self.requests.append(request.path.rsplit("/", 1)[-1])
        if not request.path.endswith("/OadrPoll"):
            return await handler(request)  # type: ignore[no-any-return]
        self.polls += 1
        if self.poll_answers:
            return await self.poll_answers.pop(0)(request)
        response: web.Response = await handler(request)
        if isinstance(response.body, bytes) and response.body.strip():
            self.signed_answers.append(response.body)
        return response


@pytest.fixture
async def tls_vtn(pki_dir: Path, pki: LocalPki) -> AsyncIterator[TlsVtn]:
    server = TlsVtn(free_port(), vtn_id="TLS-VTN", pki_dir=pki_dir, ven_fingerprint=pki.ven.fingerprint)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def clients() -> AsyncIterator[list[VenClient]]:
    """VEN clients a test starts; each is stopped afterwards."""
    started: list[VenClient] = []
    yield started
    for client in started:
        await client.stop()


def make_ven(url: str, security: Security, **kwargs: Any) -> VenClient:
    kwargs.setdefault("on_event", opt_in)
    kwargs.setdefault("sleep", fast_sleep)
    kwargs.setdefault("backoff", Backoff(attempts=3))
    return VenClient("test-ven", url, security=security, **kwargs)
