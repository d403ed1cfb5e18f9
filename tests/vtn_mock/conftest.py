"""Fixtures: `vtn-mock serve` as a real subprocess (openleadr keeps class-level state: one per process)."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

READY_TIMEOUT_S = 15.0


@dataclass
class VtnProcess:
    openadr_url: str
    admin_url: str
    process: subprocess.Popen[str]
    log: Path
    ready: dict[str, object] = field(default_factory=dict)  # the whole ready line

    def alive(self) -> bool:
        return self.process.poll() is None


def start_vtn(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> VtnProcess:
    """Start `vtn-mock serve` on free ports and wait for its ready line."""
    log = tmp_path / "vtn.log"
    args = [
        sys.executable,
        "-m",
        "vtn_mock.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--admin-port",
        "0",
        "--poll-interval",
        "1s",
        "--db",
        str(tmp_path / "vtn.sqlite"),
        *extra,
    ]
    with log.open("w") as log_file:
        process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=tmp_path,
        )
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            line = process.stdout.readline()
            if line:
                info = json.loads(line)
                return VtnProcess(info["openadr_url"], info["admin_url"], process, log, info)
        if process.poll() is not None:
            break
    process.kill()
    process.wait()
    process.stdout.close()
    pytest.fail(f"vtn-mock did not start: {log.read_text()}")


def stop_vtn(vtn: VtnProcess) -> int:
    vtn.process.send_signal(signal.SIGTERM)
    try:
        return vtn.process.wait(timeout=10)
    finally:
        if vtn.process.poll() is None:
            vtn.process.kill()
            vtn.process.wait()
        if vtn.process.stdout is not None:
            vtn.process.stdout.close()


@pytest.fixture
def vtn(tmp_path: Path) -> Iterator[VtnProcess]:
    """A mock VTN in open mode, plain HTTP, polled every second."""
    server = start_vtn(tmp_path)
    yield server
    assert stop_vtn(server) == 0, server.log.read_text()
