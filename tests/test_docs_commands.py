"""The commands in docs/ run as written on a date far from the examples' (an injected "today", V2X_VEN_NOW)
and do something meaningful; every docs command is either run here or names the test that covers it (or
why it cannot run on a test machine)."""

from __future__ import annotations

import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.waiting import wait_until
from ven.clock import NOW_ENV

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2031-02-17T09:30:00-05:00"  # a winter Monday, five years after the examples were written
ENV = {**os.environ, NOW_ENV: TODAY}
TOOLS = {"ven": [sys.executable, "-m", "ven.cli.main"], "vtn-mock": [sys.executable, "-m", "vtn_mock.cli"]}

PLUGIN_TEST = "tests/cli/test_plan_cli.py::test_a_plugin_installed_from_its_own_package_is_found_and_used"
# Commands that run elsewhere, or cannot run here, and why.
SEASON_TEST = (
    "a summer takes minutes: tests/season/test_season_e2e.py runs a week of the same kind, all policies too"
)
ELSEWHERE = {
    "ven season": "tests/season/test_season_bundled.py (one day of it, from an empty folder)",
    "ven season --config examples/massachusetts/season.toml": SEASON_TEST,
    "ven season --config examples/massachusetts/season.toml --days 14 --json": SEASON_TEST,
    "ven season --config examples/massachusetts/season.toml --policy all --report season-report": SEASON_TEST,
    "ven certs init certs/ --ven-name district-north": "test_certs_init_and_the_fingerprint_command",
    "vtn-mock serve --config vtn.toml": "needs the [tls]/[enrollment] printed by certs init pasted into a "
    "vtn.toml: tests/vtn_mock/test_enrolled_tls.py and tests/security/test_vtn_signatures.py",
    "ven run --config ven.toml": "needs the printed [security] pasted into a ven.toml: "
    "tests/security/test_ven_tls.py",
    "openssl pkcs12 -in ven.p12 -clcerts -nokeys -out ven.crt": "needs a utility's PKCS#12 bundle",
    "openssl pkcs12 -in ven.p12 -nocerts -out ven.key": "needs a utility's PKCS#12 bundle",
    "chmod 600 ven.key": "needs a utility's PKCS#12 bundle",
    'python -c "from ven.security.fingerprint import fingerprint_of_pem as f; '
    "print(f(open('ven.crt','rb').read()))\"": "test_certs_init_and_the_fingerprint_command",
    ".venv/bin/pip install ./examples/plugin": PLUGIN_TEST,
    ".venv/bin/ven policies": PLUGIN_TEST,
    ".venv/bin/ven plan --fleet examples/fleets/residential.csv --duration 1h --reduce-kw 20 "
    "--policy curtail-only": PLUGIN_TEST,
}


def doc_commands(path: Path) -> list[str]:
    """The command lines of every ```sh block in a markdown file (continuations joined, comments cut)."""
    text = path.read_text()
    commands = []
    for block in re.findall(r"```(?:sh|bash)\n(.*?)```", text, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command:
                commands.append(" ".join(command.split()))
    return commands


def vtn_mock_commands() -> list[str]:
    return doc_commands(ROOT / "docs" / "vtn-mock.md")


def eiopt_commands() -> list[str]:
    return doc_commands(ROOT / "docs" / "eiopt.md")


def test_every_docs_command_is_run_or_accounted_for():
    """Each command line in docs/*.md is run by this module or names where it is covered (and ELSEWHERE
    lists nothing that is no longer in the docs)."""
    found = {c for path in sorted((ROOT / "docs").glob("*.md")) for c in doc_commands(path)}
    here = set(vtn_mock_commands()) | set(eiopt_commands())
    assert len(set(vtn_mock_commands())) == 12
    assert len(set(eiopt_commands())) == 7
    assert found - here == set(ELSEWHERE)


EIOPT_FLEET = (
    "ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,min_soc,departure,departure_soc,days,plug_in\n"
    "bus-01,depot-north,226,0.6,60,60,0.25,06:15,0.9,mon-fri,16:00\n"
    "car-01,depot-south,60,0.5,11,10,0.2,,0.8,,\n"
)
EIOPT_CONFIG = """[ven]
name = "district-north"
vtn_url = "http://127.0.0.1:8080/OpenADR2/Simple/2.0b"
timezone = "America/New_York"
[fleet]
file = "fleet.csv"
[storage]
url = "sqlite:///ven.db"
[[opt.unavailable]]
days = ["mon", "tue", "wed", "thu", "fri"]
start = "06:00"
end = "09:00"
"""


def test_the_eiopt_commands_record_overrides_and_forecast(tmp_path: Path):
    """docs/eiopt.md's commands, in order, in a folder with a ven.toml and fleet.csv like its examples:
    three overrides recorded, listed, the third cancelled; the forecasts print 96 quarter hours, the
    configured one with the morning routes (06:00-09:00 on the injected Monday-to-Friday) taken out."""
    (tmp_path / "fleet.csv").write_text(EIOPT_FLEET)
    (tmp_path / "ven.toml").write_text(EIOPT_CONFIG)
    outputs = []
    for line in eiopt_commands():
        result = subprocess.run(
            tool(line), capture_output=True, text=True, cwd=tmp_path, env=ENV, check=False
        )
        assert result.returncode == 0, (line, result.stderr)
        outputs.append(result.stdout)
    recorded, site, window, listed, cancelled, fleet_json, config_table = outputs
    assert "whole fleet, event EVT-17: recorded" in recorded
    assert "site depot-north, event EVT-17" in site
    assert "site depot-north" in window
    assert len(listed.strip().splitlines()) == 3
    assert "override #3 cancelled" in cancelled
    steps = json.loads(fleet_json)["steps"]
    assert len(steps) == 96
    rows = config_table.strip().splitlines()[1:]
    assert len(rows) == 96
    morning = [r for r in rows if r.split()[0].endswith(("T11:00+00:00", "T11:15+00:00"))]  # 06:00 EST
    assert morning
    assert all(float(r.split()[1]) == 0.0 for r in morning)


def tool(command: str) -> list[str]:
    """A docs command line as a process: the tool (by name, with or without .venv/bin/) and its args."""
    args = shlex.split(command)
    return [*TOOLS[Path(args[0]).name], *args[1:]]


def serve(args: list[str], cwd: Path) -> tuple[subprocess.Popen[str], dict[str, object]]:
    """Start a `vtn-mock serve` command on free ports; its process and ready line."""
    process = subprocess.Popen(
        [*args, "--port", "0", "--admin-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=ENV,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while not select.select([process.stdout], [], [], 0.2)[0]:
        assert process.poll() is None, "vtn-mock serve stopped"
        assert time.monotonic() < deadline, "no ready line"
    return process, json.loads(process.stdout.readline())


def stop(process: subprocess.Popen[str]) -> str:
    """SIGINT, then its stderr; it must stop cleanly."""
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return err


@pytest.mark.slow
def test_the_serve_commands_start_and_the_scenario_lies_ahead(tmp_path: Path):
    """The three `vtn-mock serve` lines (free ports; the database in tmp): each is ready; the example
    scenario's six events are all listed, pending, starting after the injected today."""
    lines = [c for c in vtn_mock_commands() if c.startswith("vtn-mock serve")]
    assert len(lines) == 3
    for line in lines:
        docs_db = "/tmp/vtn.sqlite"  # noqa: S108 - the docs' example path, replaced by one in tmp_path
        args = [a if a != docs_db else str(tmp_path / "vtn.sqlite") for a in tool(line)]
        args = [str(ROOT / a) if a.startswith("examples/") else a for a in args]
        process, ready = serve(
            [*args, *(["--db", str(tmp_path / "d.sqlite")] if "--db" not in args else [])], ROOT
        )
        try:
            if "--scenario" in line:
                assert ready["scenario_events"] == 6
                events = json.loads(
                    subprocess.run(
                        [
                            *TOOLS["vtn-mock"],
                            "event",
                            "list",
                            "--admin-url",
                            str(ready["admin_url"]),
                            "--json",
                        ],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                )
                assert [e["status"] for e in events] == ["pending"] * 6
                today = datetime.fromisoformat(TODAY)
                assert all(datetime.fromisoformat(e["start"]) > today for e in events)
        finally:
            stop(process)


@pytest.mark.slow
def test_the_event_commands_drive_the_example_depot(tmp_path: Path):
    """With `vtn-mock serve` running and `ven run --config examples/ven/ven.toml` connected (the docs'
    setup), every `vtn-mock event` line runs: the depot VEN opts in to the delta event, the list filter
    works, show/performance/cancel answer about that event."""
    shutil.copytree(ROOT / "examples" / "ven", tmp_path / "ven")
    shutil.copytree(ROOT / "examples" / "fleets", tmp_path / "fleets")
    vtn, ready = serve([*TOOLS["vtn-mock"], "serve", "--db", str(tmp_path / "vtn.sqlite")], tmp_path)
    config = tmp_path / "ven" / "ven.toml"
    text = config.read_text().replace("http://127.0.0.1:8080/OpenADR2/Simple/2.0b", str(ready["openadr_url"]))
    config.write_text(text.replace('listen = "127.0.0.1:9100"', 'listen = ""'))
    ven = subprocess.Popen(
        [*TOOLS["ven"], "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=ENV,
    )
    env = {**ENV, "VTN_MOCK_ADMIN_URL": str(ready["admin_url"])}

    def client(line: str, event_id: str = "") -> str:
        result = subprocess.run(
            tool(line.replace("EVENT_ID", event_id)), capture_output=True, text=True, env=env, check=False
        )
        assert result.returncode == 0, (line, result.stderr)
        return result.stdout

    try:
        lines = [c for c in vtn_mock_commands() if c.startswith("vtn-mock") and "serve" not in c]
        assert lines[0] == "vtn-mock vens"

        def registered() -> bool:
            assert ven.poll() is None, "ven run stopped"
            return "school-bus-depot" in client(lines[0])

        wait_until(registered, 60, "the depot VEN registered", step_s=0.5)
        created = json.loads(client(lines[1]))
        event_id = created["event_id"]
        assert created["status"] == "far"
        assert json.loads(client(lines[2]))["status"] == "active"  # SIMPLE, now, every VEN
        assert json.loads(client(lines[3], event_id))["intervals"][0]["value"] == -250
        listed = json.loads(client(lines[4]))
        assert event_id in [e["event_id"] for e in listed]
        assert {e["status"] for e in listed} == {"far"}

        def answered() -> dict[str, Any] | None:
            shown: dict[str, Any] = json.loads(client(lines[5], event_id))
            return shown if shown["vens"][0]["opt"] is not None else None

        shown = wait_until(answered, 60, "the VEN's opt answer", step_s=0.5)
        assert shown["vens"][0]["opt"] == "optIn"
        assert json.loads(client(lines[6], event_id))["event_id"] == event_id
        assert json.loads(client(lines[7], event_id))["status"] == "cancelled"
    finally:
        ven.send_signal(signal.SIGINT)
        ven.communicate(timeout=30)
        stop(vtn)
    assert ven.returncode == 0


def test_certs_init_and_the_fingerprint_command(tmp_path: Path):
    """SECURITY.md: `ven certs init` writes the test PKI, and the fingerprint one-liner prints the VEN
    certificate's fingerprint exactly as certs init reported it."""
    (init,) = [c for c in doc_commands(ROOT / "docs" / "SECURITY.md") if c.startswith("ven certs init")]
    made = subprocess.run([*tool(init), "--json"], capture_output=True, text=True, cwd=tmp_path, check=True)
    reported = json.loads(made.stdout)["ven_fingerprint"]
    (probe,) = [c for c in doc_commands(ROOT / "docs" / "SECURITY.md") if c.startswith("python -c")]
    printed = subprocess.run(
        [sys.executable, *shlex.split(probe)[1:]],
        capture_output=True,
        text=True,
        cwd=tmp_path / "certs",
        check=True,
    )
    assert printed.stdout.strip() == reported
