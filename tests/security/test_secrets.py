"""Secrets never reach the logs; the admin token is compared in constant time."""

from __future__ import annotations

import asyncio
import hmac
import logging
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from ven.clock import SystemClock
from ven.openadr.client import VenClient
from ven.security.certs import LocalPki
from ven.security.settings import Security
from vtn_mock.admin import app as admin_app
from vtn_mock.core import Enrollment, VtnCore
from vtn_mock.store import Store

from .conftest import TlsVtn, make_ven

PASSPHRASE = "correct-horse-battery-staple"


async def test_tls_session_logs_no_key_or_passphrase(
    tls_vtn: TlsVtn, pki: LocalPki, pki_dir: Path, clients: list[VenClient], caplog: pytest.LogCaptureFixture
) -> None:
    """A whole TLS + signed session with an encrypted key, logged at DEBUG: no key material, no passphrase."""
    encrypted = pki.ven.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE.encode()),
    )
    (pki_dir / "enc.key").write_bytes(encrypted)
    plain_key = (pki_dir / "ven.key").read_text().splitlines()[1]
    security = Security(
        cert=str(pki_dir / "ven.crt"),
        key=str(pki_dir / "enc.key"),
        passphrase=PASSPHRASE,
        ca_file=str(pki_dir / "ca.crt"),
        vtn_fingerprint=pki.vtn.fingerprint,
    )
    with caplog.at_level(logging.DEBUG):
        client = make_ven(tls_vtn.url, security)
        clients.append(client)
        registration = await client.start()
        logging.getLogger("test").info("security settings: %r", security)
        assert await asyncio.wait_for(tls_vtn.add_event(registration.ven_id), 5) == "optIn"
    assert "registered as venID" in caplog.text, "the session was logged"
    for secret in (PASSPHRASE, plain_key, encrypted.decode().splitlines()[1], "PRIVATE KEY"):
        assert secret not in caplog.text


async def test_admin_token_is_compared_in_constant_time_and_never_logged(
    aiohttp_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Wrong or missing bearer tokens get 401 via hmac.compare_digest; the token is in no log line."""
    token = "admin-token-0123456789"
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    core = VtnCore(Store(tmp_path / "vtn.sqlite"), SystemClock(), lambda p: f"{p}-1", Enrollment())
    client = await aiohttp_client(admin_app.build_admin_app(core, token))
    with caplog.at_level(logging.DEBUG):
        assert (await client.get("/api/vens")).status == 401
        assert (await client.get("/api/vens", headers={"Authorization": "Bearer nope"})).status == 401
        assert (await client.get("/api/vens", headers={"Authorization": f"Bearer {token}"})).status == 200
    assert len(compared) == 3
    assert token not in caplog.text
