"""Credentials, fingerprints and [security] settings: refused early with a clear message; secrets hidden."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from openleadr.utils import certificate_fingerprint

from ven.errors import InputError
from ven.security import fingerprint as fp
from ven.security.certs import init_pki, new_key
from ven.security.keys import load_credentials
from ven.security.settings import Security


def test_fingerprint_is_openleadrs(pki_dir: Path) -> None:
    """Our fingerprint of a certificate equals openleadr's certificate_fingerprint."""
    pem = (pki_dir / "ven.crt").read_text()
    assert fp.fingerprint_of_pem(pem) == certificate_fingerprint(pem)
    assert load_credentials(pki_dir / "ven.crt", pki_dir / "ven.key").fingerprint == certificate_fingerprint(
        pem
    )


@pytest.mark.parametrize(
    "given",
    [
        "ab:cd:ef:01:23:45:67:89:ab:cd",
        "AB-CD-EF-01-23-45-67-89-AB-CD",
        "abcdef0123456789abcd",
        " AB:CD:EF:01:23:45:67:89:AB:CD ",
    ],
)
def test_fingerprint_settings_are_normalized(given: str) -> None:
    """Pasted fingerprints in lower case, with dashes or bare hex all become AB:CD:..."""
    assert Security(vtn_fingerprint=given).vtn_fingerprint == "AB:CD:EF:01:23:45:67:89:AB:CD"


def test_bad_fingerprint_is_input_error() -> None:
    """A fingerprint of the wrong length is refused as bad input (exit 2), naming it."""
    with pytest.raises(InputError, match="'AB:CD' is not 10 hex bytes"):
        Security(vtn_fingerprint="AB:CD")


def test_cert_without_key_is_input_error(pki_dir: Path) -> None:
    """cert and key go together."""
    with pytest.raises(InputError, match="cert and key go together"):
        Security(cert=str(pki_dir / "ven.crt"))


def test_key_of_another_certificate_is_refused(pki_dir: Path) -> None:
    """A key that does not belong to the certificate is refused when loading, not at the first signature."""
    with pytest.raises(InputError, match="does not belong to the certificate"):
        load_credentials(pki_dir / "ven.crt", pki_dir / "vtn.key")


def test_encrypted_key_loads_with_its_passphrase_only(tmp_path: Path) -> None:
    """An encrypted key needs its passphrase; a wrong one is refused without echoing it."""
    pki = init_pki(tmp_path, datetime.now(UTC))
    encrypted = pki.ven.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"s3cret-pass"),
    )
    (tmp_path / "enc.key").write_bytes(encrypted)
    assert load_credentials(tmp_path / "ven.crt", tmp_path / "enc.key", "s3cret-pass").key is not None
    with pytest.raises(InputError) as wrong:
        load_credentials(tmp_path / "ven.crt", tmp_path / "enc.key", "not-it")
    assert "not-it" not in str(wrong.value)
    with pytest.raises(InputError, match=r"enc\.key"):
        load_credentials(tmp_path / "ven.crt", tmp_path / "enc.key")


def test_unsupported_key_type_is_refused(tmp_path: Path) -> None:
    """Only EC and RSA keys can sign OpenADR messages."""
    key = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "ed.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    init_pki(tmp_path / "p", datetime.now(UTC))
    with pytest.raises(InputError, match="Ed25519PrivateKey keys cannot sign"):
        load_credentials(tmp_path / "p" / "ven.crt", tmp_path / "ed.key")


def test_secrets_never_in_repr(pki_dir: Path) -> None:
    """repr of the settings and of loaded credentials (in logs, tracebacks) shows no passphrase or key."""
    assert "hunter2" not in repr(Security(passphrase="hunter2"))
    shown = repr(load_credentials(pki_dir / "ven.crt", pki_dir / "ven.key"))
    assert "key=" not in shown
    assert "PRIVATE" not in shown


def test_new_key_types() -> None:
    """The test PKI makes EC P-256 keys by default and RSA-2048 on request."""
    assert new_key().key_size == 256
    assert new_key("rsa").key_size == 2048
