"""Signing credentials, loaded and checked once.

openleadr reads the PEM key for every message it signs — twice (once to pick the algorithm, once in
signxml) — and cryptography validates an RSA key on every load: ~76 ms of CPU per RSA-signed message.
Loaded once here, an RSA-2048 signature costs about a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from signxml.algorithms import SignatureMethod

from ven.errors import InputError
from ven.security.fingerprint import fingerprint_of_der

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True)
class Credentials:
    """A certificate and its private key. Never printed: the key is left out of repr."""

    cert: x509.Certificate
    cert_pem: str = field(repr=False)
    key: SigningKey = field(repr=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of_der(self.cert.public_bytes(serialization.Encoding.DER))

    @property
    def algorithm(self) -> SignatureMethod:
        """The XML-DSig signature method for this key (what openleadr picks for it)."""
        if isinstance(self.key, rsa.RSAPrivateKey):
            return SignatureMethod.RSA_SHA256
        return SignatureMethod.ECDSA_SHA256


def load_key(data: bytes, passphrase: str | None, source: str) -> SigningKey:
    """A PEM or DER private key (RSA or EC), decrypted with `passphrase` if it is encrypted."""
    password = passphrase.encode() if passphrase else None
    loaders = (serialization.load_pem_private_key, serialization.load_der_private_key)
    problem = "not a PEM or DER private key"
    for loader in loaders:
        try:
            key = loader(data, password)
        except TypeError as err:  # encrypted without a passphrase, or a passphrase for a plain key
            problem = str(err)
            continue
        except ValueError as err:
            # Wrong passphrase or wrong format; the message never contains key material.
            problem = "wrong passphrase or not a private key" if b"ENCRYPTED" in data else str(err)
            continue
        if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            return key
        raise InputError(f"{source}: {type(key).__name__} keys cannot sign OpenADR messages (use EC or RSA)")
    raise InputError(f"{source}: {problem}")


def load_credentials(
    cert_path: str | Path, key_path: str | Path, passphrase: str | None = None
) -> Credentials:
    """Read a PEM certificate and its key; refuses a key that does not belong to the certificate."""
    try:
        cert_pem = Path(cert_path).read_bytes()
        key_data = Path(key_path).read_bytes()
    except OSError as err:
        raise InputError(f"{err.filename}: cannot read ({err.strerror})") from None
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        raise InputError(f"{cert_path}: not a PEM certificate") from None
    key = load_key(key_data, passphrase, str(key_path))
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, public) != cert.public_key().public_bytes(
        serialization.Encoding.DER, public
    ):
        raise InputError(f"{key_path}: this key does not belong to the certificate {cert_path}")
    pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return Credentials(cert=cert, cert_pem=pem, key=key)
