"""Verify the XML signature of an incoming OpenADR message before anyone acts on it.

Checks, in order: a ds:Signature is present as a child of oadrPayload; it carries exactly one
X509Certificate whose fingerprint is the expected one (when one is pinned); the signature is valid over
exactly two references, one of which is the oadrSignedObject that will be parsed (not a copy hidden
elsewhere: signature wrapping); the ReplayProtect inside the signed data is fresh and its nonce new.

openleadr's `validate_xml_signature` instead reads the timestamp and nonce from anywhere in the document
(signed or not), keeps nonces in a process-wide set, and parses the certificate PEM on every call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from lxml import etree
from signxml.exceptions import InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, VerifyResult, XMLVerifier

from ven.security import fingerprint as fp
from ven.security.replay import ReplayError, ReplayGuard
from ven.security.signing import DSP_NS, OADR_NS

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
_CONFIG = SignatureConfiguration(expect_references=2)
_ID_ATTRIBUTES = (f"{{{OADR_NS}}}Id", "Id")


class SignatureError(ValueError):
    """An incoming message whose signature is missing, invalid, from the wrong certificate, or replayed."""


class FingerprintMismatchError(SignatureError):
    """Signed, but with a certificate other than the pinned one."""


@dataclass(frozen=True, slots=True)
class Verified:
    """Who signed the message, and when."""

    fingerprint: str
    timestamp: datetime


class SignatureVerifier:
    """Verifies signed oadrPayload trees; owns the replay guard of one endpoint."""

    def __init__(self, replay: ReplayGuard | None = None) -> None:
        self._replay = replay or ReplayGuard()
        self._certs: dict[str, x509.Certificate] = {}  # parsed once per signing certificate

    def verify(self, root: etree._Element, expected_fingerprint: str | None = None) -> Verified:
        """Raise SignatureError unless `root` is validly signed (by the pinned certificate, if given)."""
        signature = root.find(f"{{{DS_NS}}}Signature")
        if signature is None:
            raise SignatureError("message is not signed")
        certs = signature.findall(f"{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate")
        if len(certs) != 1 or not certs[0].text:
            raise SignatureError("signature must carry exactly one X509Certificate")
        try:
            signer = fp.fingerprint_of_base64(certs[0].text)
        except ValueError:
            raise SignatureError("X509Certificate is not base64") from None
        if expected_fingerprint is not None and not fp.matches(signer, expected_fingerprint):
            raise FingerprintMismatchError(
                f"signed by certificate {signer}, expected {fp.normalize(expected_fingerprint)}"
            )
        self._check_reference(root, signature)
        results = self._verify_signature(root, certs[0].text)
        timestamp, nonce = _replay_protect(results)
        try:
            self._replay.check(timestamp, nonce)
        except ReplayError as err:
            raise SignatureError(str(err)) from None
        return Verified(signer, timestamp)

    def _verify_signature(self, root: etree._Element, cert_text: str) -> list[VerifyResult]:
        cert_key = "".join(cert_text.split())
        cert = self._certs.get(cert_key)
        try:
            if cert is None:
                pem = f"-----BEGIN CERTIFICATE-----\n{cert_text.strip()}\n-----END CERTIFICATE-----\n"
                cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
            results = XMLVerifier().verify(root, x509_cert=cert, expect_config=_CONFIG)
            if isinstance(results, VerifyResult):  # only when one reference is expected
                results = [results]
        except (InvalidInput, InvalidSignature, ValueError) as err:
            raise SignatureError(f"invalid signature: {err}") from None
        if len(self._certs) < 64:  # a handful of VENs or one VTN; never grows without bound
            self._certs[cert_key] = cert
        return results

    @staticmethod
    def _check_reference(root: etree._Element, signature: etree._Element) -> None:
        """One reference must name the oadrSignedObject child of the root, the object that gets parsed.

        signxml refuses an Id that resolves to more than one element, so that child is what it verifies."""
        signed_object = root.find(f"{{{OADR_NS}}}oadrSignedObject")
        if signed_object is None:
            raise SignatureError("no oadrSignedObject")
        object_id = next((signed_object.get(a) for a in _ID_ATTRIBUTES if signed_object.get(a)), None)
        uris = [ref.get("URI") for ref in signature.iter(f"{{{DS_NS}}}Reference")]
        if object_id is None or f"#{object_id}" not in uris:
            raise SignatureError("the signature does not cover the oadrSignedObject")


def _replay_protect(results: list[VerifyResult]) -> tuple[datetime, str]:
    """Timestamp and nonce from the *signed* ReplayProtect (another copy elsewhere is ignored)."""
    for result in results:
        signed = result.signed_xml
        if signed is None:
            continue
        protect = (
            signed
            if signed.tag == f"{{{DSP_NS}}}ReplayProtect"
            else signed.find(f".//{{{DSP_NS}}}ReplayProtect")
        )
        if protect is None:
            continue
        stamp = protect.findtext(f"{{{DSP_NS}}}timestamp")
        nonce = protect.findtext(f"{{{DSP_NS}}}nonce")
        try:
            timestamp = datetime.fromisoformat(stamp.strip()) if stamp else None
        except ValueError:
            timestamp = None
        if timestamp is None or not nonce:
            raise SignatureError("malformed ReplayProtect (timestamp, nonce)")
        return timestamp, nonce.strip()
    raise SignatureError("no signed ReplayProtect")
