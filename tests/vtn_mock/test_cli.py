"""`vtn-mock event ...` against a served VTN, and exit code 2 with one line on bad input."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import aiohttp
import pytest
from openleadr.messaging import create_message

from vtn_mock.cli import main

pytestmark = pytest.mark.slow


def register(openadr_url: str, ven_name: str) -> None:
    message = create_message(
        "oadrCreatePartyRegistration",
        request_id="r1",
        ven_name=ven_name,
        profile_name="2.0b",
        transport_name="simpleHttp",
        transport_address=None,
        report_only=False,
        xml_signature=False,
        http_pull_model=True,
    )

    async def send() -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{openadr_url}/EiRegisterParty", data=message, headers={"Content-Type": "application/xml"}
            ) as resp,
        ):
            assert resp.status == 200

    asyncio.run(send())


def test_event_commands_drive_the_admin_api(vtn, capsys):
    """create, modify, list, show and cancel work through the CLI and print what the API answered."""
    register(vtn.openadr_url, "fleet-a")
    url = ["--admin-url", vtn.admin_url]
    assert (
        main(
            [
                "event",
                "create",
                *url,
                "--ven",
                "fleet-a",
                "--start",
                "+10m",
                "--intervals",
                "15m:-500,15m:-300",
                "--startafter",
                "2m",
                "--ramp-up",
                "5m",
            ]
        )
        == 0
    )
    event_id = json.loads(capsys.readouterr().out)["event_id"]
    assert main(["event", "modify", event_id, *url, "--priority", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["modification_number"] == 1
    assert main(["event", "list", *url]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(event_id)
    assert "far" in line
    assert "fleet-a=-" in line
    assert main(["event", "show", event_id, *url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["startafter"], shown["ramp_up"], shown["priority"]) == ("PT2M", "PT5M", 2)
    assert [i["value"] for i in shown["intervals"]] == [-500, -300]
    assert main(["event", "cancel", event_id, *url]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "cancelled"
    assert main(["vens", *url]) == 0
    assert json.loads(capsys.readouterr().out)[0]["ven_name"] == "fleet-a"


def test_bad_input_exits_2_with_one_line(vtn, capsys):
    """Invalid intervals, fields the API refuses, and unknown VENs exit 2 naming the problem."""
    url = ["--admin-url", vtn.admin_url]
    assert main(["event", "create", *url, "--intervals", "15m"]) == 2
    assert "--intervals" in capsys.readouterr().err
    assert main(["event", "create", *url, "--ven", "nobody", "--duration", "15m", "--value", "-5"]) == 2
    assert capsys.readouterr().err.strip() == "vtn-mock: error: ven: unknown VEN 'nobody'"
    assert main(["event", "create", *url, "--duration", "15 minutes", "--value", "-5", "--ven", "x"]) == 2
    assert "intervals.0.duration" in capsys.readouterr().err


def test_serve_refuses_a_bad_config(tmp_path):
    """`vtn-mock serve` with a broken vtn.toml exits 2 with one line naming the file and field."""
    config = tmp_path / "vtn.toml"
    config.write_text('[vtn]\npoll_interval = "often"\n')
    result = subprocess.run(
        [sys.executable, "-m", "vtn_mock.cli", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "vtn.toml: vtn.poll_interval" in result.stderr
