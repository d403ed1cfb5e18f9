"""Installable anywhere: the wheel, installed into a fresh venv outside the checkout, runs `ven demo --json`
and `vtn-mock serve --scenario` (the bundled example) from another directory.

To stay quick the fresh venv takes the wheel with `--no-deps` and borrows the third-party packages of the
environment running the tests through a .pth file (which adds a folder to sys.path without running the
.pth files in it, so this checkout's editable install stays out). What is checked is the wheel itself:
`ven` is imported from the fresh venv, and the example files come from its package data.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from ven.clock import NOW_ENV

ROOT = Path(__file__).resolve().parents[1]
FAR_DAY = "2031-02-17"
READY_TIMEOUT_S = 30.0


def _sources(destination: Path) -> Path:
    """The checkout's files (tracked or new, not ignored) copied out, so building writes nothing here."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "setup.py" in listed
    for name in listed:
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the built wheel; returns its bin folder."""
    base = tmp_path_factory.mktemp("wheel")
    sources = _sources(base / "src")
    dist = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(sources)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    wheel = next(dist.glob("v2x_ven-*.whl"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "_borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, NOW_ENV: FAR_DAY}


@pytest.mark.slow
def test_the_wheel_holds_the_examples_and_imports_from_the_venv(installed: Path, tmp_path: Path):
    """`ven` and its example data come from the fresh venv, not from this checkout."""
    probe = (
        "import importlib.resources as r, ven; "
        "print(ven.__file__); print((r.files('ven.examples') / 'massachusetts' / 'fleet.csv').is_file())"
    )
    out = subprocess.run(
        [str(installed / "python"), "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout.split()
    assert out[0].startswith(str(installed.parent))
    assert out[1] == "True"
    version = subprocess.run(
        [str(installed / "ven"), "--version"], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert version.stdout.startswith("ven 0.")


@pytest.mark.slow
def test_ven_demo_json_runs_from_the_installed_wheel(installed: Path, tmp_path: Path):
    """`ven demo --json` from another directory: the bundled example's event delivered, no departure miss."""
    result = subprocess.run(
        [str(installed / "ven"), "demo", "--json", "--time-scale", "1000", "--plot", "demo.png", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=tmp_path,
        env=_env(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["requested_kw"] >= 1000
    assert summary["delivered_kw"] >= 0.9 * summary["requested_kw"]
    assert summary["departure_soc_violations"] == 0
    assert summary["program_day"] > FAR_DAY
    assert (tmp_path / "demo.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_vtn_mock_serve_runs_the_bundled_scenario_from_the_installed_wheel(installed: Path, tmp_path: Path):
    """`vtn-mock serve --scenario <bundled example>` from another directory: ready line, 8 events listed,
    the dashboard's page and files served from the wheel's package data."""
    probe = (
        "import importlib.resources as r; print(r.files('ven.examples') / 'massachusetts' / 'scenario.toml')"
    )
    scenario = subprocess.run(
        [str(installed / "python"), "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout.strip()
    assert scenario.startswith(str(installed.parent))
    args = ["serve", "--port", "0", "--admin-port", "0", "--db", "vtn.sqlite", "--scenario", scenario]
    process = subprocess.Popen(
        [str(installed / "vtn-mock"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not select.select([process.stdout], [], [], 0.2)[0]:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "no ready line"
        ready = json.loads(process.stdout.readline())
        assert ready["scenario_events"] == 8
        with urllib.request.urlopen(ready["admin_url"] + "/events", timeout=10) as response:  # noqa: S310
            events = json.load(response)
        assert [e["status"] for e in events] == ["pending"] * 8
        for path, text in (("", b"Mock VTN"), ("static/common.js", b"V2X.stream")):  # dashboard files
            with urllib.request.urlopen(ready["dashboard_url"] + path, timeout=10) as response:  # noqa: S310
                assert text in response.read()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0
