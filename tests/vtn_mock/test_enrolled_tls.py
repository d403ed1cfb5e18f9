"""Enrolled mode: TLS with client certificates; only listed VEN names with their fingerprints get in."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from openleadr import OpenADRClient
from openleadr.messaging import create_message, parse_message
from openleadr.utils import certificate_fingerprint

from tests.vtn_mock.conftest import VtnProcess, start_vtn, stop_vtn

pytestmark = pytest.mark.slow


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def issue(
    directory: Path,
    name: str,
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    server: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """An EC P-256 certificate (self-signed CA when `ca` is None), written as NAME.crt / NAME.key."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
    )
    if ca is None:
        builder = builder.issuer_name(_name(name)).add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        )
        signer = key
    else:
        builder = builder.issuer_name(ca[0].subject)
        signer = ca[1]
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
    cert = builder.sign(signer, hashes.SHA256())
    (directory / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / f"{name}.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert, key


def fingerprint(directory: Path, name: str) -> str:
    return str(certificate_fingerprint((directory / f"{name}.crt").read_text()))


@pytest.fixture
def enrolled_vtn(tmp_path: Path) -> Iterator[tuple[VtnProcess, Path]]:
    ca = issue(tmp_path, "ca", None)
    issue(tmp_path, "vtn", ca, server=True)
    issue(tmp_path, "ven-a", ca)
    issue(tmp_path, "ven-b", ca)
    (tmp_path / "vtn.toml").write_text(f"""
[vtn]
vtn_id = "V2X-MOCK-VTN"
[enrollment]
mode = "enrolled"
[[enrollment.vens]]
name = "ven-a"
fingerprint = "{fingerprint(tmp_path, "ven-a")}"
[tls]
cert = "vtn.crt"
key = "vtn.key"
ca_file = "ca.crt"
""")
    server = start_vtn(tmp_path, "--config", str(tmp_path / "vtn.toml"))
    yield server, tmp_path
    assert stop_vtn(server) == 0, server.log.read_text()


def client(vtn: VtnProcess, certs: Path, ven_name: str, cert_name: str) -> OpenADRClient:
    return OpenADRClient(
        ven_name=ven_name,
        vtn_url=vtn.openadr_url,
        cert=str(certs / f"{cert_name}.crt"),
        key=str(certs / f"{cert_name}.key"),
        ca_file=str(certs / "ca.crt"),
        vtn_fingerprint=fingerprint(certs, "vtn"),
        show_fingerprint=False,
    )


async def registered(ven: OpenADRClient) -> str | None:
    await ven.run()
    await ven.stop()
    return ven.registration_id  # type: ignore[no-any-return]


async def admin_vens(vtn: VtnProcess) -> list[str]:
    async with aiohttp.ClientSession() as session, session.get(f"{vtn.admin_url}/vens") as resp:
        return [v["ven_name"] for v in await resp.json()]


async def test_enrolled_ven_registers_over_mutual_tls(enrolled_vtn):
    """The enrolled VEN, presenting its own certificate over TLS, registers (signed messages both ways)."""
    vtn, certs = enrolled_vtn
    assert vtn.openadr_url.startswith("https://")
    assert await registered(client(vtn, certs, "ven-a", "ven-a")) is not None
    assert await admin_vens(vtn) == ["ven-a"]


async def test_unknown_and_impersonating_vens_are_refused(enrolled_vtn):
    """A VEN name not enrolled, or an enrolled name with another VEN's certificate, cannot register."""
    vtn, certs = enrolled_vtn
    assert await registered(client(vtn, certs, "ven-b", "ven-b")) is None
    assert await registered(client(vtn, certs, "ven-a", "ven-b")) is None
    assert await admin_vens(vtn) == []
    log = vtn.log.read_text()
    assert "registration refused: VEN name 'ven-b' is not enrolled" in log
    assert "registration refused: certificate of 'ven-a' is not the enrolled one" in log


async def test_messages_under_another_vens_id_are_refused(enrolled_vtn):
    """After ven-a registers, a poll carrying ven-a's venID over ven-b's certificate gets 463."""
    vtn, certs = enrolled_vtn
    ven_a = client(vtn, certs, "ven-a", "ven-a")
    await registered(ven_a)
    context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    context.load_cert_chain(str(certs / "ven-b.crt"), str(certs / "ven-b.key"))
    poll = create_message(
        "oadrPoll",
        ven_id=ven_a.ven_id,
        cert=(certs / "ven-b.crt").read_bytes(),
        key=(certs / "ven-b.key").read_bytes(),
    )
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{vtn.openadr_url}/OadrPoll",
            data=poll,
            headers={"Content-Type": "application/xml"},
            ssl=context,
        ) as resp,
    ):
        assert resp.status == 200
        message_type, payload = parse_message(await resp.read())
    assert (message_type, payload["response"]["response_code"]) == ("oadrResponse", 463)


async def test_client_without_certificate_cannot_connect(enrolled_vtn):
    """The TLS handshake itself fails for a client without a certificate."""
    vtn, certs = enrolled_vtn
    context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    query = create_message("oadrQueryRegistration", request_id="r1")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientError):
            async with session.post(
                f"{vtn.openadr_url}/EiRegisterParty",
                data=query,
                headers={"Content-Type": "application/xml"},
                ssl=context,
            ) as resp:
                await resp.read()
