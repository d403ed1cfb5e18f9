"""Real processes for multi-VEN tests and benchmarks: `vtn-mock serve` and `ven run`, each a subprocess.

Standard library only (plus the package itself), so benchmarks can use it too.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FLEET_COLUMNS = (
    "ev_id",
    "site",
    "capacity_kwh",
    "soc",
    "max_charge_kw",
    "max_discharge_kw",
    "min_soc",
    "target_soc",
    "departure",
    "departure_soc",
    "plugged_in",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_fleet(path: Path, count: int, *, prefix: str = "ev", sites: int = 4, hours: float = 10.0) -> Path:
    """`count` EVs charging towards full, leaving `hours` from now (so the file works on any date)."""
    leave = (datetime.now(UTC) + timedelta(hours=hours)).isoformat(timespec="seconds")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(FLEET_COLUMNS)
        for i in range(count):
            capacity, charge, discharge = ((226, 60, 60), (90, 19.2, 11.5), (80, 11.5, 11.5), (70, 11.5, 0))[
                i % 4
            ]
            soc = 0.35 + 0.5 * ((i * 37) % 100) / 100
            writer.writerow(
                (
                    f"{prefix}{i}",
                    f"site{i % sites}",
                    capacity,
                    round(soc, 3),
                    charge,
                    discharge,
                    0.2,
                    1.0,
                    leave,
                    0.8,
                    "true",
                )
            )
    return path


def write_ven_config(
    folder: Path,
    *,
    name: str,
    vtn_url: str,
    fleet: Path,
    storage_url: str,
    http_port: int,
    control_period: str = "10s",
    sampling: str = "10s",
    policy: str = "optimal",
    extra: str = "",
) -> Path:
    config = folder / f"{name}.toml"
    config.write_text(
        f"""[ven]
name = "{name}"
vtn_url = "{vtn_url}"
[fleet]
file = "{fleet}"
[dispatch]
policy = "{policy}"
control_period = "{control_period}"
[reports]
sampling = "{sampling}"
[storage]
url = "{storage_url}"
[http]
listen = "127.0.0.1:{http_port}"
{extra}""",
        encoding="utf-8",
    )
    return config


@dataclass
class MockVtn:
    process: subprocess.Popen[bytes]
    openadr_url: str
    admin_url: str

    @classmethod
    def start(cls, folder: Path, *, poll_interval: str = "1s", timeout_s: float = 60.0) -> MockVtn:
        command = [
            sys.executable, "-m", "vtn_mock.cli", "serve",
            "--port", "0", "--admin-port", "0", "--poll-interval", poll_interval,
            "--db", str(folder / "vtn.sqlite"), "--log-level", "WARNING",
        ]  # fmt: skip
        with (folder / "vtn.log").open("ab") as log:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        assert process.stdout is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            ready = json.loads(line)
            if ready.get("ready"):
                return cls(process, ready["openadr_url"], ready["admin_url"])
        process.kill()
        process.wait()
        process.stdout.close()
        raise RuntimeError(f"vtn-mock did not start: {(folder / 'vtn.log').read_text()[-2000:]}")

    def create_event(
        self, ven: str, value_kw: float, *, start: str = "+20s", duration: str = "PT5M", intervals: int = 1
    ) -> str:
        body = {
            "ven": ven,
            "signal": "LOAD_DISPATCH",
            "type": "delta",
            "start": start,
            "intervals": [{"duration": duration, "value": value_kw}] * intervals,
            "response_required": "always",
        }
        answer = _http_json(f"{self.admin_url}/events", body)
        return str(answer["event_id"])

    def vens(self) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = _http_json(f"{self.admin_url}/vens")
        return answer

    def stop(self) -> None:
        stop_process(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_ven(config: Path, log: Path, *, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ven.cli.main", "run", "--config", str(config), "--log-level", "WARNING"],
            stdout=subprocess.DEVNULL,
            stderr=out,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout_s)
            return -9
    return int(process.returncode)


def http_status(port: int, path: str = "/status") -> dict[str, Any] | None:
    """The VEN's JSON at `path`, or None while it is not answering."""
    try:
        answer: dict[str, Any] = _http_json(f"http://127.0.0.1:{port}{path}")
    except OSError:
        return None
    return answer


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM, kernel-kept), MB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _http_json(url: str, body: object | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback URLs we built
        url,
        data=data,
        headers={"Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def metrics(port: int) -> dict[str, float]:
    """The VEN's /metrics as {name: value} (unlabelled gauges)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
            text = response.read().decode()
    except OSError:
        return {}
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ven.cli.main", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def sqlite_bytes(path: Path) -> int:
    """The pages an SQLite database uses now (its WAL included, free pages not): what its data occupies."""
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path)) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)
