"""One test per openleadr 0.5.36 security bug we work around (ven.openadr.workarounds and
vtn_mock.openadr_server), named after the bug; each shows stock openleadr's behaviour next to ours."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree
from openleadr.messaging import create_message, validate_xml_schema, validate_xml_signature

from ven.clock import SystemClock
from ven.openadr.workarounds import PatchedClient
from ven.security.certs import LocalPki, init_pki
from ven.security.keys import load_credentials
from ven.security.settings import Security
from ven.security.signing import DSP_NS, MessageFactory, MessageSigner
from ven.security.verify import DS_NS, SignatureError, SignatureVerifier
from vtn_mock.config import TlsSection
from vtn_mock.core import Enrollment, VtnCore
from vtn_mock.openadr_server import OpenADREndpoint
from vtn_mock.store import Store


def _replay_with_injected_protect(message: bytes) -> etree._Element:
    """`message` again, with an unsigned ReplayProtect (fresh nonce) in a ds:Object before the signed one."""
    root = etree.fromstring(message)
    protect = copy.deepcopy(root.find(f".//{{{DSP_NS}}}ReplayProtect"))
    assert protect is not None
    protect.find(f"{{{DSP_NS}}}nonce").text = "fresh-and-unsigned"
    signature = root.find(f"{{{DS_NS}}}Signature")
    assert signature is not None
    signed_object = signature.find(f"{{{DS_NS}}}Object")
    injected = etree.Element(f"{{{DS_NS}}}Object")
    injected.append(protect)
    signature.insert(list(signature).index(signed_object), injected)
    return validate_xml_schema(etree.tostring(root))  # still schema-valid


def test_rsa_signing_costs_76_ms_per_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stock parses the PEM key (and validates an RSA key) on every message, ~76 ms; ours loads it once.

    The cost itself is measured in benchmarks/bench_signing.py; here: no key is parsed per message.
    """
    init_pki(tmp_path, SystemClock().now(), key_type="rsa")
    client = PatchedClient(
        "v",
        "http://127.0.0.1:1",
        security=Security(cert=str(tmp_path / "ven.crt"), key=str(tmp_path / "ven.key")),
    )
    assert isinstance(client._create_message, MessageFactory)
    loads: list[object] = []
    original = serialization.load_pem_private_key

    def counting(*args: object, **kwargs: object) -> object:
        loads.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(serialization, "load_pem_private_key", counting)
    for _ in range(5):
        assert "Signature" in client._create_message("oadrPoll", ven_id="v")
    assert loads == []


def test_replay_protect_is_read_from_anywhere_in_the_document(pki: LocalPki, pki_dir: Path) -> None:
    """Stock accepts a replay that carries an injected, unsigned ReplayProtect; ours reads the signed one."""
    message = MessageFactory(MessageSigner(load_credentials(pki_dir / "vtn.crt", pki_dir / "vtn.key")))(
        "oadrPoll", ven_id="v"
    ).encode()
    validate_xml_signature(validate_xml_schema(message), pki.vtn.fingerprint)
    validate_xml_signature(_replay_with_injected_protect(message), pki.vtn.fingerprint)  # stock: accepted
    ours = SignatureVerifier()
    ours.verify(validate_xml_schema(message), pki.vtn.fingerprint)
    with pytest.raises(SignatureError, match="nonce seen before"):
        ours.verify(_replay_with_injected_protect(message), pki.vtn.fingerprint)


def test_ca_file_is_ignored_without_a_client_certificate(pki_dir: Path) -> None:
    """Stock uses the system CAs unless a client certificate is set; ours always trusts ca_file, TLS ≥ 1.2."""
    client = PatchedClient("v", "https://127.0.0.1:1", security=Security(ca_file=str(pki_dir / "ca.crt")))
    context = client._ssl_context
    assert context is not None
    assert "v2x-ven test CA" in str(context.get_ca_certs())
    assert context.minimum_version.name == "TLSv1_2"


def test_vtn_signs_with_the_key_parsed_per_message(pki_dir: Path, tmp_path: Path) -> None:
    """Every service of the mock VTN (EiEvent, EiReport, ..., EiOpt) signs through one cached-key factory."""
    tls = TlsSection(
        cert=str(pki_dir / "vtn.crt"), key=str(pki_dir / "vtn.key"), ca_file=str(pki_dir / "ca.crt")
    )
    core = VtnCore(Store(tmp_path / "vtn.sqlite"), SystemClock(), lambda p: f"{p}-1", Enrollment())
    endpoint = OpenADREndpoint(core, "VTN-1", timedelta(seconds=10), tls)
    factories = {id(service._create_message) for service in endpoint._services()}
    assert len(factories) == 1
    assert isinstance(endpoint._services()[0]._create_message, MessageFactory)
    signed = endpoint._services()[0]._create_message(
        "oadrResponse", ven_id="v", response={"response_code": 200}
    )
    assert "X509Certificate" in signed


def test_stock_create_message_is_still_what_we_interoperate_with(pki_dir: Path) -> None:
    """Sanity: openleadr's own signer and ours produce messages both verifiers accept (see test_signing)."""
    message = create_message(
        "oadrPoll",
        cert=(pki_dir / "vtn.crt").read_bytes(),
        key=(pki_dir / "vtn.key").read_bytes(),
        ven_id="v",
    )
    assert SignatureVerifier().verify(validate_xml_schema(message)).fingerprint
