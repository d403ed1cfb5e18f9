"""An independent 3.1 client, the `openadr3` package from PyPI (grid-coordination), against `vtn-mock serve`
run as a subprocess: token discovery, VEN registration, programs, events and a report, and the performance
the admin API then measures."""

from __future__ import annotations

import json
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openadr3
import pytest

pytestmark = pytest.mark.slow
READY_TIMEOUT_S = 20.0


@dataclass
class Served:
    ready: dict[str, object]
    process: subprocess.Popen[str]


def serve(tmp_path: Path, *extra: str) -> Served:
    args = [
        sys.executable,
        "-m",
        "vtn_mock.cli",
        "serve",
        "--port",
        "0",
        "--admin-port",
        "0",
        "--db",
        str(tmp_path / "vtn.sqlite"),
        *extra,
    ]
    with (tmp_path / "vtn.log").open("w") as log:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if select.select([process.stdout], [], [], 0.1)[0]:
            return Served(json.loads(process.stdout.readline()), process)
    process.kill()
    pytest.fail(f"vtn-mock did not start: {(tmp_path / 'vtn.log').read_text()}")


@pytest.fixture
def vtn(tmp_path: Path) -> Iterator[Served]:
    served = serve(
        tmp_path, "--oauth-client", "district-ven:s3cret", "--oauth-bl-client", "utility:bl-s3cret"
    )
    yield served
    served.process.terminate()
    assert served.process.wait(timeout=10) == 0
    assert served.process.stdout is not None
    served.process.stdout.close()


def test_openadr3_package_as_ven(vtn: Served):
    """openadr3 0.5 registers a VEN, reads programmes and an admin-API event, and posts a report that the
    admin API's performance then counts."""
    base = str(vtn.ready["openadr3_url"])
    admin = str(vtn.ready["admin_url"])
    token = openadr3.fetch_token(base, "district-ven", "s3cret")  # discovers /auth/token via /auth/server
    with openadr3.create_ven_client(base, token) as client:
        created = client.create_ven({"objectType": "VEN_VEN_REQUEST", "venName": "district-north"})
        assert created.status_code == 201, created.text
        assert client.find_ven_by_name("district-north") is not None
        event = httpx.post(
            f"{admin}/events",
            json={
                "ven": "district-north",
                "signal": "LOAD_DISPATCH",
                "type": "delta",
                "start": "now",
                "intervals": [{"duration": "PT1H", "value": -250}],
            },
        ).json()
        programs = client.programs()
        assert [p.program_name for p in programs] == ["oadr://v2x-mock/default"]
        (seen,) = client.events()
        assert seen.id == event["event_id"]
        assert seen.intervals[0].payloads[0].type == "DISPATCH_SETPOINT_RELATIVE"
        assert seen.intervals[0].payloads[0].values == [-250.0]
        report = client.create_report(
            {
                "eventID": seen.id,
                "clientName": "district-north",
                "resources": [
                    {
                        "resourceName": "AGGREGATED_REPORT",
                        "intervals": [
                            {
                                "id": 0,
                                "payloads": [
                                    {"type": "USAGE", "values": [600.0]},
                                    {"type": "BASELINE", "values": [800.0]},
                                ],
                            }
                        ],
                    }
                ],
            }
        )
        assert report.status_code == 201, report.text
        assert [r.id for r in client.reports()] == [report.json()["id"]]
    performance = httpx.get(f"{admin}/events/{event['event_id']}/performance").json()
    assert performance["intervals"][0]["delivered_kw"] == 200.0
    assert [v["ven_name"] for v in httpx.get(f"{admin}/vens").json()] == ["district-north"]
    wrong = httpx.post(
        f"{base}/auth/token",
        data={"grant_type": "client_credentials", "client_id": "ven", "client_secret": "ven-secret"},
    )
    assert wrong.status_code == 401  # the loopback defaults are off once clients are configured


def test_serve_refuses_bad_client_flags(tmp_path: Path):
    """A malformed --oauth-client, or a non-loopback host without clients, exits 2 with one line."""
    for extra in (["--oauth-client", "no-secret"], ["--host", "0.0.0.0"]):  # noqa: S104 (never bound)
        args = [
            sys.executable,
            "-m",
            "vtn_mock.cli",
            "serve",
            "--port",
            "0",
            "--admin-port",
            "0",
            "--db",
            str(tmp_path / "x.sqlite"),
            *extra,
        ]
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("vtn-mock: ")
        assert "oauth" in lines[0]
