"""The README's commands work as written (test-mode equivalents where they would reinstall), on a date far
from the one the examples were written on: every command runs with an injected "today" (V2X_VEN_NOW,
docs/reference.md) and must still produce a non-trivial result."""

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
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.waiting import wait_until
from ven.clock import NOW_ENV
from ven.timeparse import parse_duration

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
# Far from the examples' July 2026: a winter Monday morning in Massachusetts, five years on.
TODAY = "2031-02-17T09:30:00-05:00"
ENV = {**os.environ, NOW_ENV: TODAY}
WATT_KW = 1e-3


def command_after(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```sh\n(.+)\n```", README)
    assert match, marker
    return match.group(1)


def test_ci_runs_the_readme_test_command():
    """.ci/run extracts exactly the README's test command."""
    script = (ROOT / ".ci" / "run").read_text()
    assert "ci:test-command" in script
    assert "pytest" in command_after("ci:test-command")


def run_ven(args: list[str], cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ven.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=ENV,
    )


def sh_blocks(section: str) -> list[str]:
    """The command lines of every ```sh block in the README section under `section`."""
    body = README.split(section)[1].split("\n## ")[0]
    blocks = re.findall(r"```sh\n(.*?)```", body, flags=re.DOTALL)
    return [line for block in blocks for line in block.strip().splitlines() if line.strip()]


def test_markers_each_hold_exactly_one_command_line():
    """Each ci marker is followed by a ```sh block with exactly one command line."""
    for marker in ("ci:main-command", "ci:test-command"):
        match = re.search(rf"<!-- {marker} -->\n```sh\n(.*?)```", README, flags=re.DOTALL)
        assert match, marker
        assert len(match.group(1).strip().splitlines()) == 1, marker
    assert command_after("ci:test-command") == (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/pytest -q"
    )


@pytest.mark.slow
def test_the_main_command_runs_the_demo(tmp_path: Path):
    """The README's first command ends in `ven demo`; minus the install (and at 400x, plot in tmp) it runs
    the showcase event and prints the per-interval table."""
    main = command_after("ci:main-command")
    ven_part = main.split("&&")[-1].strip()
    args = shlex.split(ven_part)
    assert args == [".venv/bin/ven", "demo"]
    result = run_ven(
        [*args[1:], "--time-scale", "400", "--plot", str(tmp_path / "demo.png")], cwd=tmp_path, timeout=150
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "requested kW" in result.stdout
    assert "SOC school districts" in result.stdout
    assert "0 below it" in result.stdout
    assert "program day 2031-02-19" in result.stdout  # the next Wednesday after the injected Monday
    assert re.search(r"requested 1,175 kW, delivered 1,1\d\d kW on average", result.stdout)
    assert "[demo]" in result.stderr
    assert (tmp_path / "demo.png").is_file()


def test_the_showcase_command_is_the_one_tests_demo_runs():
    """The README's `ven demo --json` line is the one tests/demo/test_demo_e2e.py runs (read from here)."""
    from tests.demo.test_demo_e2e import readme_demo_command  # noqa: PLC0415

    lines = sh_blocks("## The showcase")
    assert len(lines) == 1
    assert shlex.split(lines[0])[1:] == readme_demo_command()


def test_the_enrollment_check_in_the_readme_runs():
    """The `ven plan` line of "Enrolling a fleet" plans the Massachusetts fleet at the next 4 pm Eastern
    (on the injected far date) with no shortfall: in every interval the planned reduction reaches the
    requested one (read from its --json output), with no warning."""
    lines = sh_blocks("## Enrolling a fleet")
    assert len(lines) == 1
    args = shlex.split(lines[0])[1:]
    result = run_ven(args if "--json" in args else [*args, "--json"])
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    plan = json.loads(result.stdout)
    assert len(plan["evs"]) == 90  # the whole Massachusetts fleet
    intervals = plan["intervals"]
    duration, interval = (parse_duration(args[args.index(flag) + 1]) for flag in ("--duration", "--interval"))
    assert len(intervals) == duration // interval > 0
    # 1 W: the LP's feasibility tolerance leaves milliwatts either side of an exactly met request
    short = [i for i in intervals if i["reduction_kw"] < i["requested_reduction_kw"] - WATT_KW]
    assert short == []
    assert all(i["requested_reduction_kw"] > 0 for i in intervals)
    assert intervals[0]["start"] == "2031-02-17T21:00:00+00:00"  # 16:00 EST on the injected Monday


def test_every_readme_command_block_is_covered():
    """Every ```sh block in the README belongs to a section a test here runs."""
    tested = {
        "Set up and run",
        "The showcase",
        "Enrolling a fleet",
        "Planning offline",
        "Running against",
        "Dashboards",
    }
    sections = re.findall(r"^## (.+)$", README, flags=re.MULTILINE)
    for section in sections:
        if sh_blocks(f"## {section}"):
            assert any(section.startswith(name) for name in tested), section


def test_readme_links_resolve():
    """Relative links in the README point at files that exist (docs/SECURITY.md, docs/policies.md, ...)."""
    links = re.findall(r"\]\(([^)#:]+)\)", README)
    assert {"docs/SECURITY.md", "docs/policies.md", "benchmarks/RESULTS.md"} <= set(links)
    for link in links:
        assert (ROOT / link).exists(), link


def test_the_plan_examples_in_the_readme_run():
    """Every `ven plan` / `ven policies` line in the README's planning section exits 0."""
    section = README.split("## Planning offline")[1].split("```sh")[1].split("```")[0]
    lines = [line for line in section.strip().splitlines() if line.startswith(".venv/bin/ven")]
    assert len(lines) == 3
    results = [run_ven(shlex.split(line)[1:]) for line in lines]
    for line, result in zip(lines, results, strict=True):
        assert result.returncode == 0, (line, result.stderr)
        assert result.stderr == "", (line, result.stderr)  # no warning: nothing meaningless about them
    homes, depot, policies = (r.stdout for r in results)
    assert "4 intervals from 2031-02-17 09:30 EST" in homes
    delivered = float(re.search(r"shortfall ([\d,.]+) kWh", homes)[1])
    assert delivered < 30.0  # 30 kWh asked over 2 h: the homes give most of it
    plan = json.loads(depot)
    assert plan["intervals"][0]["start"] == "2031-02-17T21:00:00+00:00"  # 16:00 EST
    assert all(i["power_kw"] == pytest.approx(-300.0, abs=WATT_KW) for i in plan["intervals"])
    assert all(i["baseline_kw"] > 0 for i in plan["intervals"])
    assert {"optimal", "proportional", "fair", "priority"} <= {
        line.split()[0] for line in policies.splitlines()
    }


def _ready_line(process: subprocess.Popen[str], timeout: float = 30.0) -> dict[str, object]:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while not select.select([process.stdout], [], [], 0.2)[0]:
        assert process.poll() is None, "the server stopped"
        assert time.monotonic() < deadline, "no ready line"
    ready: dict[str, object] = json.loads(process.stdout.readline())
    return ready


def _events(admin_url: object) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{admin_url}/events", timeout=10) as response:  # noqa: S310 (loopback)
        events: list[dict[str, object]] = json.load(response)
    return events


@pytest.mark.slow
def test_the_ven_runs_against_the_mock_vtn_and_its_season(tmp_path: Path):
    """The two commands of "Running against a utility's VTN", started on an event afternoon of the injected
    far date (Wednesday 15:40 Eastern, the moment the example's fleet file describes): `vtn-mock serve
    --scenario` lists the season (8 events, all ahead) and sends the two due within a day; `ven run`
    registers, opts in to the showcase at 16:00 and out of Thursday's event (decided on the forecast: the
    buses back by then cannot give the share asked), saying why. Ports are free ones instead of 8080/8081
    (the copied ven.toml points at them) and the example folder is a copy (the VEN writes its database
    there)."""
    serve, run = sh_blocks("## Running against")
    folder = tmp_path / "massachusetts"
    shutil.copytree(ROOT / "examples" / "massachusetts", folder)
    serve_args = shlex.split(serve)[1:]
    serve_args[serve_args.index("--scenario") + 1] = str(folder / "scenario.toml")
    env = {**ENV, NOW_ENV: "2031-02-19T15:40:00-05:00"}  # the showcase Wednesday, 20 minutes before it
    vtn = subprocess.Popen(
        [sys.executable, "-m", "vtn_mock.cli", *serve_args, "--port", "0", "--admin-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    ven = None
    try:
        ready = _ready_line(vtn)
        assert ready["scenario_events"] == 8
        config = folder / "ven.toml"
        default_url = "http://127.0.0.1:8080/OpenADR2/Simple/2.0b"
        config.write_text(config.read_text().replace(default_url, str(ready["openadr_url"])))
        assert shlex.split(run)[1:] == ["run", "--config", "examples/massachusetts/ven.toml"]
        ven = subprocess.Popen(
            [sys.executable, "-m", "ven.cli.main", "run", "--config", str(config), "--log-format", "json"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=env,
        )
        due = ("ma-connectedsolutions-008", "ma-connectedsolutions-001")  # Wednesday 16:00, Thursday 15:00

        def answered() -> tuple[dict[str, Any], list[str | None]] | None:
            assert ven.poll() is None, "ven run stopped"
            events = {str(e["event_id"]): e for e in _events(ready["admin_url"])}
            opts = [_opt(events[event_id]) for event_id in due]
            return None if None in opts else (events, opts)

        events, opts = wait_until(answered, 90, "the VEN's opt answers", step_s=0.5)
        assert opts == ["optIn", "optOut"]
        assert sorted(str(e["status"]) for e in events.values()) == ["far", "far"] + ["pending"] * 6
    finally:
        outputs = {}
        for process in (ven, vtn):
            if process is not None:
                process.send_signal(signal.SIGINT)
                outputs[process.pid] = process.communicate(timeout=30)
    assert ven is not None
    assert (ven.returncode, vtn.returncode) == (0, 0)
    logged = [json.loads(line) for line in outputs[ven.pid][1].splitlines()]
    assert any("registered as venID" in line["message"] for line in logged)
    assert all(line["ven"] == "ma-v2x-fleet" for line in logged)
    warnings = [line["message"] for line in logged if line["level"] in ("WARNING", "ERROR")]
    assert len(warnings) == 1
    assert warnings[0].startswith("event ma-connectedsolutions-001: optOut (forecast (EVs arriving")


def _opt(event: dict[str, object]) -> object:
    """The first VEN's opt answer to an event (None: none yet, or not sent yet)."""
    answers = event["vens"]
    return answers[0]["opt"] if isinstance(answers, list) and answers else None


def test_the_readme_points_at_the_reference_and_the_licence():
    """The README links docs/reference.md (not a CONTRACT.md the repository does not have); LICENSE holds
    the Apache-2.0 text pyproject.toml declares."""
    assert "CONTRACT.md" not in README
    assert "(docs/reference.md)" in README
    assert "(LICENSE)" in README
    licence = (ROOT / "LICENSE").read_text()
    assert licence.lstrip().startswith("Apache License\n                           Version 2.0, January 2004")
    assert 'license = { text = "Apache-2.0" }' in (ROOT / "pyproject.toml").read_text()


def test_the_reference_names_every_command_and_option():
    """docs/reference.md documents every subcommand of both tools and each of their long options."""
    from tests.cli.test_cli_surface import TOOLS, subparsers  # noqa: PLC0415

    reference = (ROOT / "docs" / "reference.md").read_text()
    checked = 0
    for tool, parser in TOOLS:
        for name, command in subparsers(parser):
            word = name.split()[-1]  # `cancel\|show\|performance` rows name several commands at once
            spelled = (f"{tool} {name}", f"{word}\\|", f"\\|{word}")
            assert any(text in reference for text in spelled), f"{tool} {name}"
            for action in command._actions:
                for option in action.option_strings:
                    if option.startswith("--") and option != "--help":
                        assert option in reference, f"{tool} {name} {option}"
                        checked += 1
    assert checked > 40
