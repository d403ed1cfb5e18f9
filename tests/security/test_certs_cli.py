"""`ven certs init DIR`: a test CA, VEN and VTN EC certificates, and the fingerprints to configure."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from ven.cli.main import main
from ven.security.fingerprint import fingerprint_of_pem


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_init_writes_an_ec_pki_and_prints_fingerprints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Six files; VEN and VTN certificates issued by the CA on P-256; the printed fingerprints are theirs."""
    assert main(["certs", "init", str(tmp_path / "pki"), "--ven-name", "district-north"]) == 0
    out = capsys.readouterr().out
    pki = tmp_path / "pki"
    ca = _cert(pki / "ca.crt")
    for name in ("ven", "vtn"):
        cert = _cert(pki / f"{name}.crt")
        cert.verify_directly_issued_by(ca)
        assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
        assert cert.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]
        assert fingerprint_of_pem((pki / f"{name}.crt").read_bytes()) in out
        assert stat.S_IMODE((pki / f"{name}.key").stat().st_mode) == 0o600
    assert f'vtn_fingerprint = "{fingerprint_of_pem((pki / "vtn.crt").read_bytes())}"' in out
    assert 'name = "district-north"' in out
    san = _cert(pki / "vtn.crt").extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]


def test_init_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A second init into the same directory exits 2 naming the files; --force replaces them."""
    assert main(["certs", "init", str(tmp_path)]) == 0
    before = (tmp_path / "ca.crt").read_bytes()
    assert main(["certs", "init", str(tmp_path)]) == 2
    assert "already exist (use --force to replace)" in capsys.readouterr().err
    assert (tmp_path / "ca.crt").read_bytes() == before
    assert main(["certs", "init", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "ca.crt").read_bytes() != before


def test_init_json_and_custom_hosts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the fingerprints as one object; --vtn-host sets the VTN certificate's names."""
    assert (
        main(
            ["certs", "init", str(tmp_path), "--json", "--vtn-host", "vtn.example", "--vtn-host", "10.0.0.5"]
        )
        == 0
    )
    info = json.loads(capsys.readouterr().out)
    assert info["vtn_fingerprint"] == fingerprint_of_pem((tmp_path / "vtn.crt").read_bytes())
    san = _cert(tmp_path / "vtn.crt").extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["vtn.example"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]


def test_init_bad_days_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--days 0 is bad input."""
    assert main(["certs", "init", str(tmp_path), "--days", "0"]) == 2
    assert "--days" in capsys.readouterr().err
