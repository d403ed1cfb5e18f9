"""OpenADR certificate fingerprints: the last 10 bytes of the SHA-256 of the DER certificate, `AB:CD:...`.

This is openleadr's `utils.certificate_fingerprint` (and what certified VTNs print), computed without
re-parsing PEM through the ssl module on every message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ven.errors import InputError

_FINGERPRINT = re.compile(r"^([0-9A-F]{2}:){9}[0-9A-F]{2}$")
_FINGERPRINT_BYTES = 10


class FingerprintError(InputError, ValueError):
    """A fingerprint setting that is not 10 colon-separated hex bytes."""


def fingerprint_of_der(der: bytes) -> str:
    digest = hashlib.sha256(der).digest()[-_FINGERPRINT_BYTES:]
    return ":".join(f"{byte:02X}" for byte in digest)


def fingerprint_of_pem(pem: bytes | str) -> str:
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    cert = x509.load_pem_x509_certificate(data)
    return fingerprint_of_der(cert.public_bytes(serialization.Encoding.DER))


def fingerprint_of_base64(text: str) -> str:
    """The fingerprint of the base64 body of an XML-DSig `X509Certificate` element."""
    return fingerprint_of_der(base64.b64decode("".join(text.split()), validate=True))


def normalize(fingerprint: str) -> str:
    """Upper case, colons; accepts `ab:cd:..`, `AB-CD-..` or 20 bare hex digits (how people paste them)."""
    compact = re.sub(r"[\s:-]", "", fingerprint).upper()
    candidate = ":".join(compact[i : i + 2] for i in range(0, len(compact), 2))
    if not _FINGERPRINT.match(candidate):
        raise FingerprintError(
            f"fingerprint {fingerprint!r} is not 10 hex bytes like 'AB:CD:EF:01:23:45:67:89:AB:CD'"
        )
    return candidate


def matches(actual: str | None, expected: str) -> bool:
    """Whether `actual` is the `expected` fingerprint (both normalized; None never matches)."""
    if actual is None:
        return False
    return hmac.compare_digest(actual.encode("ascii"), normalize(expected).encode("ascii"))
