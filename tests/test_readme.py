"""The README's commands work as written (test-mode equivalents where they would reinstall)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from ven.timeparse import parse_duration

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


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
    assert "[demo]" in result.stderr
    assert (tmp_path / "demo.png").is_file()


def test_the_showcase_command_is_the_one_tests_demo_runs():
    """The README's `ven demo --json` line is the one tests/demo/test_demo_e2e.py runs (read from here)."""
    from tests.demo.test_demo_e2e import readme_demo_command  # noqa: PLC0415

    lines = sh_blocks("## The showcase")
    assert len(lines) == 1
    assert shlex.split(lines[0])[1:] == readme_demo_command()


def test_the_enrollment_check_in_the_readme_runs():
    """The `ven plan` line of "Enrolling a fleet" plans the Massachusetts fleet with no shortfall: in
    every interval the planned reduction reaches the requested one (read from its --json output)."""
    lines = sh_blocks("## Enrolling a fleet")
    assert len(lines) == 1
    args = shlex.split(lines[0])[1:]
    result = run_ven(args if "--json" in args else [*args, "--json"])
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert len(plan["evs"]) == 90  # the whole Massachusetts fleet
    intervals = plan["intervals"]
    duration, interval = (parse_duration(args[args.index(flag) + 1]) for flag in ("--duration", "--interval"))
    assert len(intervals) == duration // interval > 0
    short = [i for i in intervals if i["reduction_kw"] < i["requested_reduction_kw"] - 1e-6]
    assert short == []
    assert all(i["requested_reduction_kw"] > 0 for i in intervals)


def test_every_readme_command_block_is_covered():
    """Every ```sh block in the README belongs to a section a test here runs."""
    tested = {"Set up and run", "The showcase", "Enrolling a fleet", "Planning offline"}
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
    for line in lines:
        args = shlex.split(line)[1:]
        result = subprocess.run(
            [sys.executable, "-m", "ven.cli.main", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, (line, result.stderr)
