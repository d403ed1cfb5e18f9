"""A throw-away PKI for local testing: one CA, a VEN client certificate and a VTN server certificate.

Never for production: a utility's VTN accepts only certificates from the OpenADR Alliance PKI (see
docs/SECURITY.md). EC P-256 by default — what OpenADR 2.0b names, and the cheapest to sign with.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ven.errors import InputError
from ven.security.fingerprint import fingerprint_of_der
from ven.security.keys import SigningKey

KeyType = Literal["ec", "rsa"]
FILES = ("ca.crt", "ca.key", "ven.crt", "ven.key", "vtn.crt", "vtn.key")


@dataclass(frozen=True, slots=True)
class Issued:
    """One certificate and its key, in memory."""

    cert: x509.Certificate
    key: SigningKey

    @property
    def fingerprint(self) -> str:
        return fingerprint_of_der(self.cert.public_bytes(serialization.Encoding.DER))

    def write(self, directory: Path, stem: str) -> None:
        """STEM.crt (PEM) and STEM.key (PKCS#8 PEM, unencrypted, readable by the owner only)."""
        (directory / f"{stem}.crt").write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        key_pem = self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path = directory / f"{stem}.key"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(key_pem)


@dataclass(frozen=True, slots=True)
class LocalPki:
    ca: Issued
    ven: Issued
    vtn: Issued


def new_key(key_type: KeyType = "ec") -> SigningKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "v2x-ven test PKI (not for production)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, key: SigningKey, now: datetime, days: int
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
    )


def issue_ca(now: datetime, days: int = 365, key_type: KeyType = "ec") -> Issued:
    key = new_key(key_type)
    name = _name("v2x-ven test CA")
    cert = (
        _builder(name, name, key, now, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)


def issue_leaf(
    ca: Issued,
    common_name: str,
    now: datetime,
    *,
    server_hosts: tuple[str, ...] = (),
    days: int = 365,
    key_type: KeyType = "ec",
) -> Issued:
    """A VEN (client) certificate, or with `server_hosts` a VTN certificate for those names/addresses."""
    key = new_key(key_type)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server_hosts else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(_name(common_name), ca.cert.subject, key, now, days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    if server_hosts:
        builder = builder.add_extension(x509.SubjectAlternativeName(_san(server_hosts)), critical=False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _san(hosts: tuple[str, ...]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def init_pki(
    directory: Path,
    now: datetime,
    *,
    ven_name: str = "ven",
    vtn_hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
    days: int = 365,
    key_type: KeyType = "ec",
    overwrite: bool = False,
) -> LocalPki:
    """Create ca/ven/vtn .crt + .key in `directory`; refuses to replace existing files unless `overwrite`."""
    existing = [name for name in FILES if (directory / name).exists()]
    if existing and not overwrite:
        raise InputError(f"{directory}: {', '.join(existing)} already exist (use --force to replace)")
    if not vtn_hosts:
        raise InputError("the VTN certificate needs at least one host name or address")
    directory.mkdir(parents=True, exist_ok=True)
    ca = issue_ca(now, days, key_type)
    pki = LocalPki(
        ca=ca,
        ven=issue_leaf(ca, ven_name, now, days=days, key_type=key_type),
        vtn=issue_leaf(ca, vtn_hosts[0], now, server_hosts=vtn_hosts, days=days, key_type=key_type),
    )
    for stem, issued in (("ca", pki.ca), ("ven", pki.ven), ("vtn", pki.vtn)):
        issued.write(directory, stem)
    return pki
