"""`ven certs init DIR`: a throw-away CA with VEN and VTN certificates for local testing."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ven.cli.parsing import add_command, command_group
from ven.errors import InputError

if TYPE_CHECKING:
    from ven.security.certs import LocalPki


def register(commands: Any) -> None:
    parser = add_command(
        commands,
        "certs",
        "certificates for local testing",
        "A throw-away PKI for trying TLS and XML signatures locally (docs/SECURITY.md).",
    )
    actions = command_group(parser, "certs_command")
    init = add_command(
        actions,
        "init",
        "create a test CA plus VEN and VTN certificates (EC P-256) and print their fingerprints",
        "Writes ca.crt/.key, ven.crt/.key, vtn.crt/.key into DIR. For local testing only: a "
        "utility's VTN needs certificates from the OpenADR PKI (docs/SECURITY.md).",
    )
    init.add_argument("directory", type=Path, metavar="DIR", help="where the files go (created if missing)")
    init.add_argument("--ven-name", default="ven", help="the VEN certificate's common name")
    init.add_argument(
        "--vtn-host",
        action="append",
        default=None,
        help="a host name or IP address of the VTN (repeatable; default: localhost and 127.0.0.1)",
    )
    init.add_argument("--days", type=int, default=365, help="validity in days")
    init.add_argument("--key-type", choices=["ec", "rsa"], default="ec", help="ec (P-256) or rsa (2048)")
    init.add_argument("--force", action="store_true", help="replace existing files in DIR")
    init.add_argument("--json", action="store_true", help="print one JSON object")
    init.set_defaults(handler=run_init)


def run_init(args: argparse.Namespace) -> int:
    from ven.security.certs import init_pki  # noqa: PLC0415 - cryptography only when certificates are made

    if args.days < 1:
        raise InputError("--days must be at least 1")
    hosts = tuple(args.vtn_host or ("localhost", "127.0.0.1"))
    directory: Path = args.directory
    pki = init_pki(
        directory,
        datetime.now(UTC),
        ven_name=args.ven_name,
        vtn_hosts=hosts,
        days=args.days,
        key_type=args.key_type,
        overwrite=args.force,
    )
    if args.json:
        print(
            json.dumps(
                {
                    "directory": str(directory),
                    "ven_fingerprint": pki.ven.fingerprint,
                    "vtn_fingerprint": pki.vtn.fingerprint,
                    "ca_fingerprint": pki.ca.fingerprint,
                }
            )
        )
    else:
        print(_instructions(directory, args.ven_name, pki))
    return 0


def _instructions(directory: Path, ven_name: str, pki: LocalPki) -> str:
    return f"""Wrote {directory}/{{ca,ven,vtn}}.{{crt,key}} (test PKI: never use these with a real utility).

VEN certificate fingerprint: {pki.ven.fingerprint}
VTN certificate fingerprint: {pki.vtn.fingerprint}

ven.toml:
  [security]
  cert = "{directory / "ven.crt"}"
  key = "{directory / "ven.key"}"
  ca_file = "{directory / "ca.crt"}"
  vtn_fingerprint = "{pki.vtn.fingerprint}"

vtn.toml (vtn-mock serve --config vtn.toml):
  [enrollment]
  mode = "enrolled"
  [[enrollment.vens]]
  name = "{ven_name}"
  fingerprint = "{pki.ven.fingerprint}"
  [tls]
  cert = "{directory / "vtn.crt"}"
  key = "{directory / "vtn.key"}"
  ca_file = "{directory / "ca.crt"}\""""
