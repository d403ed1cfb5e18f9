"""The README's commands work as written (test-mode equivalents where they would reinstall)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

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


def test_the_main_command_plans_the_example_depot():
    """The README's first command, minus the install, prints a plan table for the depot."""
    main = command_after("ci:main-command")
    ven_part = main.split("&&")[-1].strip()
    args = shlex.split(ven_part)
    assert args[0] == ".venv/bin/ven"
    result = subprocess.run(
        [sys.executable, "-m", "ven.cli.main", *args[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "north-depot" in result.stdout
    assert "shortfall" in result.stdout


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
