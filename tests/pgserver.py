"""A throwaway PostgreSQL server for tests, benchmarks and CI: initdb in a folder, a free port, loopback only.

Standard library only, so `.ci/run` can use it before the venv exists:
`python3 tests/pgserver.py start DIR` prints the server's URL; `python3 tests/pgserver.py stop DIR` stops it.
As root (CI), the server runs as the `postgres` system user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DATABASE = "v2x"
USER = "v2x"


def bin_dir() -> Path | None:
    """The folder of initdb/pg_ctl/postgres: PATH first, then Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("pg_ctl")
    if found is not None and shutil.which("initdb") is not None:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[4]))
    return versions[-1].parent if versions else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgServer:
    """One cluster in `folder`; `start()`, `stop()` and `start()` again keep its data (for restart tests)."""

    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @classmethod
    def create(cls, folder: Path, port: int | None = None) -> PgServer:
        """initdb a new cluster in `folder` (trust auth on loopback) and create the test user and database."""
        binaries = bin_dir()
        if binaries is None:
            raise FileNotFoundError("no PostgreSQL server binaries (initdb, pg_ctl): install `postgresql`")
        folder.mkdir(parents=True, exist_ok=True)
        server = cls(folder, port or free_port())
        _own(folder)
        _run(
            [str(binaries / "initdb"), "-D", str(server.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"],
            quiet=True,
        )
        settings = (
            f"port = {server.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{folder}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
        )
        with (server.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(settings)
        server.start()
        psql = str(binaries / "psql") if (binaries / "psql").exists() else "psql"
        for sql in (f"CREATE USER {USER} SUPERUSER", f"CREATE DATABASE {DATABASE} OWNER {USER}"):
            _run([psql, "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-qc", sql], quiet=True)
        return server

    def start(self) -> None:
        binaries = bin_dir()
        assert binaries is not None
        log = self.folder / "server.log"
        _run([str(binaries / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        binaries = bin_dir()
        assert binaries is not None
        _run([str(binaries / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"])

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _own(folder: Path) -> None:
    """As root, hand the folder to the postgres user (the server refuses to run as root)."""
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")


def _run(command: list[str], *, quiet: bool = False) -> None:
    out = subprocess.DEVNULL if quiet else None
    subprocess.run(_as_server_user(command), check=True, stdout=out, stdin=subprocess.DEVNULL)


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"start", "stop"}:
        print("usage: pgserver.py start|stop DIR", file=sys.stderr)
        return 2
    folder = Path(argv[1]).resolve()
    if argv[0] == "start":
        server = PgServer.create(folder)
        (folder / "url").write_text(server.url, encoding="utf-8")
        print(server.url)
        return 0
    url = (folder / "url").read_text(encoding="utf-8")
    PgServer(folder, int(url.rsplit(":", 1)[1].split("/", 1)[0])).stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
