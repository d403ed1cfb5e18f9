"""Signed OpenADR messages: create (render + sign) and verify, per message, RSA-2048 and EC P-256, ours vs
stock openleadr 0.5.36, in one run.

Run: `.venv/bin/python benchmarks/bench_signing.py [--messages 40]`.

- stock create: `openleadr.messaging.create_message(..., cert=PEM, key=PEM)` as OpenADRClient and
  OpenADRServer call it (PEM key parsed twice and, for RSA, validated on every message);
  ours: `ven.security.signing.MessageFactory` with the key loaded once.
- stock verify: `openleadr.messaging.validate_xml_signature(tree, cert_fingerprint)`;
  ours: `ven.security.verify.SignatureVerifier.verify(tree, fingerprint)` (pinned, replay-checked).
- The message is an oadrDistributeEvent with two events; schema parsing (the same for both) is not timed.
Each message is verified right after it is created (openleadr refuses signatures older than 5 s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openleadr.messaging import create_message, validate_xml_schema, validate_xml_signature
from report import machine

from ven.security.certs import KeyType, init_pki
from ven.security.keys import load_credentials
from ven.security.signing import MessageFactory, MessageSigner
from ven.security.verify import SignatureVerifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.openadr.conftest import raw_event


def payload() -> dict[str, object]:
    second = raw_event(event_id="e2")
    second["active_period"]["dtstart"] += timedelta(days=1)
    return {"request_id": "req-1", "vtn_id": "BENCH-VTN", "events": [raw_event(), second]}


def measure(create: Callable[[], str], verify: Callable[[object], object], count: int) -> tuple[float, float]:
    """Median milliseconds per message to create, and to verify."""
    created, verified = [], []
    for _ in range(count):
        started = time.perf_counter()
        message = create()
        created.append(time.perf_counter() - started)
        tree = validate_xml_schema(message.encode())
        started = time.perf_counter()
        verify(tree)
        verified.append(time.perf_counter() - started)
    return statistics.median(created) * 1e3, statistics.median(verified) * 1e3


def bench(key_type: KeyType, count: int) -> list[tuple[str, str, float, float]]:
    with tempfile.TemporaryDirectory() as directory:
        pki = init_pki(Path(directory), datetime.now(UTC), key_type=key_type)
        cert_path, key_path = Path(directory) / "vtn.crt", Path(directory) / "vtn.key"
        cert, key = cert_path.read_bytes(), key_path.read_bytes()
        fingerprint = pki.vtn.fingerprint
        body = payload()
        factory = MessageFactory(MessageSigner(load_credentials(cert_path, key_path)))
        verifier = SignatureVerifier()
        stock = measure(
            lambda: create_message("oadrDistributeEvent", cert=cert, key=key, **body),
            lambda tree: validate_xml_signature(tree, cert_fingerprint=fingerprint),
            count,
        )
        unsigned = MessageFactory(None)
        render = measure(lambda: unsigned("oadrDistributeEvent", **body), lambda _tree: None, count)
        ours = measure(
            lambda: factory("oadrDistributeEvent", **body),
            lambda tree: verifier.verify(tree, fingerprint),  # type: ignore[arg-type]
            count,
        )
    label = "RSA-2048" if key_type == "rsa" else "EC P-256"
    return [(label, "openleadr", *stock), (label, "ours", *ours), (label, "unsigned", render[0], 0.0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=40, help="messages per key type and side")
    count = parser.parse_args().messages
    rows = [row for key_type in ("rsa", "ec") for row in bench(key_type, count)]
    print(machine())
    print(f"signed oadrDistributeEvent (2 events), median of {count} messages, ms per message")
    print(f"{'key':<9} {'signer':<10} {'create':>8} {'verify':>8} {'total':>8}")
    for label, who, create_ms, verify_ms in rows:
        print(f"{label:<9} {who:<10} {create_ms:8.2f} {verify_ms:8.2f} {create_ms + verify_ms:8.2f}")
    stock_rsa, ours_rsa, render_rsa = rows[0], rows[1], rows[2]
    print(
        f"RSA create: {stock_rsa[2] / ours_rsa[2]:.0f}x faster with the key loaded once; signing alone "
        f"(ours create - unsigned render): RSA {ours_rsa[2] - render_rsa[2]:.2f} ms, "
        f"EC {rows[4][2] - rows[5][2]:.2f} ms"
    )


if __name__ == "__main__":
    main()
