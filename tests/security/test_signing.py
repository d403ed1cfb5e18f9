"""XML signatures: interoperable with stock openleadr both ways, refused when tampered, wrapped, replayed,
unsigned or from another certificate; RSA as cheap as EC once the key is loaded."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree
from openleadr.messaging import create_message, validate_xml_schema, validate_xml_signature

from ven.security.certs import KeyType, init_pki
from ven.security.keys import load_credentials
from ven.security.signing import OADR_NS, MessageFactory, MessageSigner
from ven.security.verify import DS_NS, FingerprintMismatchError, SignatureError, SignatureVerifier


@pytest.fixture(params=["ec", "rsa"])
def vtn_keys(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path, str]:
    """(cert, key, fingerprint) of a VTN certificate of each key type."""
    key_type: KeyType = request.param
    pki = init_pki(tmp_path, datetime.now(UTC), key_type=key_type)
    return tmp_path / "vtn.crt", tmp_path / "vtn.key", pki.vtn.fingerprint


def ours(cert: Path, key: Path) -> MessageFactory:
    return MessageFactory(MessageSigner(load_credentials(cert, key)))


def poll(factory: MessageFactory) -> etree._Element:
    return validate_xml_schema(factory("oadrPoll", ven_id="ven-1").encode())


def test_our_signature_verifies_with_stock_openleadr(vtn_keys: tuple[Path, Path, str]) -> None:
    """openleadr's validate_xml_signature accepts what we sign (EC and RSA), pinned to our certificate."""
    cert, key, fingerprint = vtn_keys
    validate_xml_signature(poll(ours(cert, key)), cert_fingerprint=fingerprint)


def test_stock_openleadr_signature_verifies_with_ours(vtn_keys: tuple[Path, Path, str]) -> None:
    """What openleadr's create_message signs passes our verifier, which names the signer."""
    cert, key, fingerprint = vtn_keys
    message = create_message("oadrPoll", cert=cert.read_bytes(), key=key.read_bytes(), ven_id="ven-1")
    assert SignatureVerifier().verify(validate_xml_schema(message), fingerprint).fingerprint == fingerprint


def test_replayed_message_is_refused(vtn_keys: tuple[Path, Path, str]) -> None:
    """The same signed message twice: the second is refused (nonce seen before)."""
    cert, key, fingerprint = vtn_keys
    message = ours(cert, key)("oadrPoll", ven_id="ven-1").encode()
    verifier = SignatureVerifier()
    verifier.verify(validate_xml_schema(message), fingerprint)
    with pytest.raises(SignatureError, match="nonce seen before"):
        verifier.verify(validate_xml_schema(message), fingerprint)


def test_tampered_message_is_refused(vtn_keys: tuple[Path, Path, str]) -> None:
    """One changed character in the signed object breaks the digest."""
    cert, key, fingerprint = vtn_keys
    message = ours(cert, key)("oadrPoll", ven_id="ven-1").replace("ven-1", "ven-2")
    with pytest.raises(SignatureError, match="invalid signature"):
        SignatureVerifier().verify(validate_xml_schema(message.encode()), fingerprint)


def test_other_certificate_is_refused_before_any_crypto(vtn_keys: tuple[Path, Path, str]) -> None:
    """A valid signature by a certificate other than the pinned one is a fingerprint mismatch."""
    cert, key, _ = vtn_keys
    with pytest.raises(FingerprintMismatchError, match="expected 00:11"):
        SignatureVerifier().verify(poll(ours(cert, key)), "00:11:22:33:44:55:66:77:88:99")


def test_unsigned_message_is_refused() -> None:
    """No ds:Signature at all: refused."""
    with pytest.raises(SignatureError, match="not signed"):
        SignatureVerifier().verify(poll(MessageFactory(None)))


def test_signature_wrapping_is_refused(vtn_keys: tuple[Path, Path, str]) -> None:
    """The signed object hidden inside the signature, a different one in its place: refused."""
    cert, key, fingerprint = vtn_keys
    root = poll(ours(cert, key))
    real = root.find(f"{{{OADR_NS}}}oadrSignedObject")
    assert real is not None
    hidden = etree.SubElement(root.find(f"{{{DS_NS}}}Signature"), f"{{{DS_NS}}}Object")
    hidden.append(copy.deepcopy(real))
    real.set(f"{{{OADR_NS}}}Id", "forged")
    with pytest.raises(SignatureError, match="does not cover the oadrSignedObject"):
        SignatureVerifier().verify(root, fingerprint)
