"""`ven demo --serve`: the mock VTN and the VEN run on after the event, with dashboards, until Ctrl-C."""

from __future__ import annotations

import json
import re
import select
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 300.0  # a guard against hangs: the showcase at its default 200x, on a busy machine


def readme_serve_command() -> list[str]:
    """The README's "Dashboards" command, as arguments after `ven`."""
    section = (ROOT / "README.md").read_text().split("## Dashboards")[1].split("\n## ")[0]
    line = re.search(r"```sh\n(.+)\n```", section)
    assert line
    args = shlex.split(line.group(1))
    assert args[0] == ".venv/bin/ven"
    return args[1:]


def get(url: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own loopback server
        return response.headers["Content-Type"], response.read()


def get_json(url: str) -> Any:
    return json.loads(get(url)[1])


@pytest.mark.slow
def test_demo_serve_keeps_both_dashboards_up_until_interrupted(tmp_path: Path) -> None:
    """The README's `ven demo --serve`, with --json: the summary names both dashboards; they answer with the
    event just run (the VTN agreeing with the summary), the VEN still runs, and SIGINT stops all, exit 0."""
    args = readme_serve_command()
    assert args == ["demo", "--serve"]
    with subprocess.Popen(
        [sys.executable, "-m", "ven.cli.main", *args, "--json", "--plot", str(tmp_path / "demo.png")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            check_serving(process)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def check_serving(process: subprocess.Popen[str]) -> None:
    """The summary line, both dashboards answering about the event it ran, then a clean stop on SIGINT."""
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    line = ""
    while not line and time.monotonic() < deadline and process.poll() is None:
        if select.select([process.stdout], [], [], 0.5)[0]:
            line = process.stdout.readline()
    assert line, f"no summary: exit {process.poll()}"
    summary = json.loads(line)
    ven_url, vtn_url = summary["dashboards"]["ven"], summary["dashboards"]["vtn"]
    assert ven_url.startswith("http://127.0.0.1:")
    assert vtn_url.startswith("http://127.0.0.1:")
    assert summary["requested_kw"] >= 1000
    assert summary["departures_checked"] > 80
    for url in (ven_url, vtn_url):
        content_type, body = get(url)
        assert content_type.startswith("text/html")
        assert b'<script src="/static/common.js">' in body
    dashboard = get_json(ven_url + "api/dashboard")
    assert dashboard["chart"]["event_id"] == summary["event_id"]
    assert dashboard["chart"]["status"] == "completed"
    assert [i["requested_kw"] for i in dashboard["chart"]["intervals"]] == [
        i["requested_kw"] for i in summary["intervals"]
    ]
    event = get_json(f"{vtn_url}api/events/{summary['event_id']}")
    assert event["status"] == "completed"  # the VTN runs on the VEN's (simulated) clock
    assert event["vens"][0]["opt"] == "optIn"
    performance = get_json(f"{vtn_url}api/events/{summary['event_id']}/performance")
    assert performance["totals"]["delivered_kw_avg"] == summary["delivered_kw"]
    first = get_json(ven_url + "status")["time"]

    def ticking() -> bool:
        return bool(get_json(ven_url + "status")["time"] != first)

    wait_until(ticking, 30, "the VEN alive: its clock moves on", step_s=0.05)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert process.stderr is not None
    assert "VEN dashboard: " in process.stderr.read()
