"""Our VenClient against a stock openleadr OpenADRServer over TLS with client certificates and signatures."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ven.openadr.client import Backoff, RegistrationError, VenClient
from ven.openadr.reports import ReportSources
from ven.security.certs import LocalPki
from ven.storage import Store, TelemetrySample
from ven.telemetry.series import StatusLog, UsageHistory

from .conftest import TlsVtn, make_ven, ven_security

WAIT = 5.0


async def test_registers_opts_in_and_reports_over_tls_with_signatures(
    tls_vtn: TlsVtn, pki: LocalPki, pki_dir: Path, clients: list[VenClient], tmp_path: Path
) -> None:
    """Over mutual TLS with signed messages both ways: registration, an event opted in, reports received."""
    tls_vtn.report_request = (timedelta(seconds=1), timedelta(seconds=1))
    store = Store.open(f"sqlite:///{tmp_path / 'ven.db'}")
    now = datetime.now(UTC)
    store.telemetry.add([TelemetrySample(now - timedelta(seconds=2), "fleet", 120.5, 300.0, 179.5)])
    sources = ReportSources(UsageHistory(store), StatusLog(), sampling=timedelta(seconds=1))
    client = make_ven(
        tls_vtn.url,
        ven_security(pki_dir, pki.vtn.fingerprint),
        reports=sources,
        report_tick=timedelta(hours=1),
    )
    clients.append(client)
    registration = await client.start()
    assert registration.ven_id == "ven-1"
    opted = tls_vtn.add_event(registration.ven_id, values=[-500.0])
    assert await asyncio.wait_for(opted, WAIT) == "optIn"
    async with asyncio.timeout(WAIT):
        while not await client.send_due_reports():  # due one reportBackDuration after the request
            await asyncio.sleep(0.05)
    assert {key.split("/")[-1]: s[0] for key, s in tls_vtn.report_values.items()}["1"] == 120.5
    store.close()
    assert tls_vtn.signed_answers, "the VTN's poll answers are signed"
    assert b"X509Certificate" in tls_vtn.signed_answers[0]
    assert (client.untrusted_answers, client.refused_answers) == (0, 0)


async def test_wrong_vtn_fingerprint_is_never_trusted(
    tls_vtn: TlsVtn, pki_dir: Path, clients: list[VenClient], caplog: pytest.LogCaptureFixture
) -> None:
    """Pinned to another fingerprint, the VEN ignores every VTN answer, logs why, and keeps running."""
    wrong = "00:11:22:33:44:55:66:77:88:99"
    client = make_ven(
        tls_vtn.url,
        ven_security(pki_dir, wrong),
        backoff=Backoff(initial=timedelta(milliseconds=10), attempts=None),
    )
    clients.append(client)
    with caplog.at_level(logging.ERROR, logger="ven.openadr.workarounds"):
        starting = asyncio.create_task(client.start())
        async with asyncio.timeout(WAIT):
            while client.untrusted_answers < 4:
                await asyncio.sleep(0.02)
        assert not starting.done(), "still trying to register, not crashed and not registered"
        starting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await starting
    assert client.registration is None
    assert "not from the pinned VTN" in caplog.text
    assert wrong in caplog.text


async def test_bounded_attempts_with_wrong_fingerprint_raise_registration_error(
    tls_vtn: TlsVtn, pki_dir: Path, clients: list[VenClient]
) -> None:
    """With a bounded number of attempts, an untrusted VTN ends in RegistrationError, not a crash."""
    client = make_ven(tls_vtn.url, ven_security(pki_dir, "00:11:22:33:44:55:66:77:88:99"))
    clients.append(client)
    with pytest.raises(RegistrationError):
        await client.start()
