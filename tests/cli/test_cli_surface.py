"""Both command lines explain themselves and refuse bad input with one line and exit 2 (issue 12)."""

from __future__ import annotations

import argparse
import io
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ven.cli import main as ven_main
from ven.cli.parsing import package_version
from ven.cli.slow import SlowWork
from ven.clock import NOW_ENV
from vtn_mock import cli as vtn_cli

ROOT = Path(__file__).resolve().parents[2]
DEPOT = str(ROOT / "examples" / "fleets" / "school_bus_depot.csv")
PLAN = ["plan", "--fleet", DEPOT, "--start", "2031-02-17T16:00:00-05:00"]


def subparsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every (sub)command parser below `parser`, with its full name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield f"{parser.prog} {name}".split(" ", 1)[1], child
                yield from subparsers(child)


TOOLS = [("ven", ven_main.build_parser()), ("vtn-mock", vtn_cli._parser())]


@pytest.mark.parametrize(("tool", "parser"), TOOLS, ids=[t for t, _ in TOOLS])
def test_every_command_has_a_description_and_every_option_help(tool, parser):
    """Each subcommand has a description; each option has help text, and its default when it has one."""
    commands = list(subparsers(parser))
    assert len(commands) >= (8 if tool == "ven" else 9)
    for name, command in commands:
        assert command.description, f"{tool} {name}"
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            assert action.help, f"{tool} {name} {action.option_strings or action.dest}"
        text = command.format_help()
        for action in command._actions:
            if action.option_strings and action.default not in (None, False, argparse.SUPPRESS):
                assert "default" in (action.help or "") or f"(default: {action.default})" in " ".join(
                    text.split()
                ), f"{tool} {name} {action.option_strings}"


def test_policy_help_shows_its_default():
    """`ven plan --help` says which policy is used when none is given."""
    text = " ".join(dict(subparsers(ven_main.build_parser()))["plan"].format_help().split())
    assert "(default: optimal)" in text


@pytest.mark.parametrize("run", [ven_main.main, vtn_cli.main], ids=["ven", "vtn-mock"])
def test_version(run, capsys):
    """--version prints the tool and the package version and exits 0."""
    with pytest.raises(SystemExit) as exited:
        run(["--version"])
    assert exited.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.endswith(package_version())
    assert re.fullmatch(r"(ven|vtn-mock) \d+\.\d+\.\d+.*", out)


@pytest.mark.parametrize(
    ("run", "args", "commands"),
    [
        (
            ven_main.main,
            [],
            [
                "plan",
                "policies",
                "run",
                "demo",
                "events",
                "event",
                "certs",
                "fleet",
                "forecast",
                "opt-out",
                "season",
            ],
        ),
        (ven_main.main, ["certs"], ["init"]),
        (ven_main.main, ["fleet"], ["status"]),
        (vtn_cli.main, [], ["serve", "event", "vens"]),
        (vtn_cli.main, ["event"], ["create", "modify", "cancel", "show", "performance", "list"]),
    ],
    ids=["ven", "ven certs", "ven fleet", "vtn-mock", "vtn-mock event"],
)
def test_bare_commands_print_usage_and_their_commands(run, args, commands, capsys):
    """A command group called alone prints its usage and the list of its commands on stdout, exit 0."""
    assert run(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:")
    listed = re.findall(r"^ {4}(\S+)", out, flags=re.MULTILINE)
    assert listed == commands


def one_error_line(err: str, tool: str = "ven") -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{tool}: error: "), err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([*PLAN, "--duration", "1h", "--reduce-kw", "nan"], "finite"),
        ([*PLAN, "--duration", "1h", "--reduce-kw", "10,inf,3,4"], "finite"),
        ([*PLAN, "--duration", "-1h", "--reduce-kw", "5"], "--duration -1h: must be positive"),
        ([*PLAN, "--duration", "0s", "--reduce-kw", "5"], "must be positive"),
        ([*PLAN, "--duration", "1000d", "--reduce-kw", "5"], "at most 7 days"),
        ([*PLAN, "--duration", "6d", "--interval", "1m", "--reduce-kw", "5"], "at most 2,000"),
        ([*PLAN, "--duration", "1h", "--reduce-kw", "5", "--margin", "nan"], "--margin"),
        ([*PLAN, "--duration", "1h", "--reduce-kw", "5", "--margin", "-1"], "--margin"),
        ([*PLAN, "--duration", "1h", "--reduce-kw", "5", "--timezone", "Mars/Olympus"], "Mars/Olympus"),
        (["plan", "--fleet", DEPOT, "--start", "soon", "--duration", "1h", "--reduce-kw", "5"], "--start"),
        (["plan", "--fleet", "/no/fleet.csv", "--duration", "1h", "--reduce-kw", "5"], "/no/fleet.csv"),
        (["demo", "--time-scale", "nan"], "--time-scale"),
        (["demo", "--plot", "/no/such/folder/plot.png"], "/no/such/folder"),
        (["run", "--config", "/no/ven.toml"], "/no/ven.toml"),
        (["events", "--config", "/no/ven.toml"], "/no/ven.toml"),
        (["certs", "init", "/no/such/dir", "--days", "0"], "--days"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_ven_bad_input_exits_2_with_one_line(args, needle, capsys):
    """Each bad input: exit 2 and exactly one stderr line `ven: error: ...` naming the problem."""
    assert ven_main.main(args) == 2
    captured = capsys.readouterr()
    assert needle in one_error_line(captured.err)
    assert captured.out == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["event", "list", "--status", "bogus"], "bogus"),
        (["serve", "--port", "eighty"], "--port"),
        (["serve", "--poll-interval", "soon"], "--poll-interval"),
        (["serve", "--config", "/no/vtn.toml"], "/no/vtn.toml"),
        (
            ["serve", "--scenario", "/no/scenario.toml", "--port", "0", "--admin-port", "0"],
            "/no/scenario.toml",
        ),
        (["event", "create", "--signal", "LOUD"], "--signal"),
    ],
)
def test_vtn_mock_bad_input_exits_2_with_one_line(args, needle, capsys, tmp_path, monkeypatch):
    """Each bad input: exit 2 and exactly one stderr line `vtn-mock: error: ...` naming the problem."""
    monkeypatch.chdir(tmp_path)
    assert vtn_cli.main(args) == 2
    assert needle in one_error_line(capsys.readouterr().err, "vtn-mock")


def test_a_bad_injected_date_is_one_line(capsys, monkeypatch):
    """A V2X_VEN_NOW that is neither a date nor a time with an offset is refused like any bad input."""
    monkeypatch.setenv(NOW_ENV, "yesterday")
    assert ven_main.main([*PLAN[:3], "--duration", "1h", "--reduce-kw", "5"]) == 2
    assert NOW_ENV in one_error_line(capsys.readouterr().err)


def run_ven(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ven.cli.main", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=cwd,
    )


def test_not_a_number_is_one_line_from_a_real_process():
    """`ven plan --reduce-kw nan` as a user runs it: exit 2, one line, no traceback (it was a ValueError)."""
    result = run_ven(*PLAN, "--duration", "1h", "--reduce-kw", "nan")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    one_error_line(result.stderr)


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port something else is listening on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_http_listen_on_a_port_in_use_is_one_line(tmp_path, taken_port):
    """`[http] listen` on a port in use: `ven run` exits 2 with one line naming the setting (it was a
    31-line OSError traceback)."""
    (tmp_path / "fleet.csv").write_text(Path(DEPOT).read_text())
    config = tmp_path / "ven.toml"
    config.write_text(
        '[ven]\nname = "depot"\nvtn_url = "http://127.0.0.1:9/OpenADR2/Simple/2.0b"\n'
        '[fleet]\nfile = "fleet.csv"\n'
        f'[http]\nlisten = "127.0.0.1:{taken_port}"\n'
    )
    result = run_ven("run", "--config", str(config))
    assert result.returncode == 2, result.stderr
    line = one_error_line(result.stderr)
    assert f"http.listen: cannot listen on 127.0.0.1:{taken_port}" in line


def test_vtn_mock_on_a_port_in_use_is_one_line(tmp_path, taken_port):
    """`vtn-mock serve --port P` with P taken: exit 2, one line naming the port."""
    result = subprocess.run(
        [sys.executable, "-m", "vtn_mock.cli", "serve", "--port", str(taken_port), "--admin-port", "0"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert f"127.0.0.1:{taken_port}" in one_error_line(result.stderr, "vtn-mock")


def test_events_reports_a_missing_database_without_creating_it(tmp_path, capsys):
    """`ven events` on a config whose database does not exist yet lists nothing, says so in one line, and
    leaves no file behind; `ven event ID` is then an error naming the missing database."""
    (tmp_path / "fleet.csv").write_text(Path(DEPOT).read_text())
    config = tmp_path / "ven.toml"
    config.write_text(
        '[ven]\nname = "depot"\nvtn_url = "http://127.0.0.1:9/OpenADR2/Simple/2.0b"\n'
        '[fleet]\nfile = "fleet.csv"\n[storage]\nurl = "sqlite:///state/ven.db"\n'
    )
    assert ven_main.main(["events", "--config", str(config), "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "[]"
    assert "no database at" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert ven_main.main(["event", "e1", "--config", str(config)]) == 2
    assert "no database at" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "state").exists()


def test_slow_work_is_silent_when_quick_and_speaks_past_its_threshold():
    """SlowWork prints nothing for quick work; past its threshold it prints progress, then how long."""
    quick = io.StringIO()
    with SlowWork("ven: planning", stream=quick, first_after_s=60.0):
        pass
    assert quick.getvalue() == ""
    slow = io.StringIO()
    spoke = threading.Event()

    class Stream(io.StringIO):
        def write(self, text: str) -> int:
            spoke.set()
            return super().write(text)

    slow = Stream()
    with SlowWork("ven: planning", stream=slow, first_after_s=0.01):
        assert spoke.wait(10.0)
    lines = slow.getvalue().splitlines()
    assert lines[0].startswith("ven: planning ... ")
    assert lines[-1].startswith("ven: planning: done in ")


@pytest.mark.parametrize(
    ("fleet", "cause"),
    [
        (
            (
                "ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,departure\n"
                "a,s,60,0.5,11,10,2020-01-01T08:00:00Z\nb,s,60,0.5,11,10,2020-01-01T08:00:00Z\n"
            ),
            "every plugged-in EV's departure is before",
        ),
        (
            (
                "ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,plugged_in\n"
                "a,s,60,0.5,11,10,false\nb,s,60,0.5,11,10,false\n"
            ),
            "no EV is plugged in",
        ),
        (
            "ev_id,site,capacity_kwh,soc,max_charge_kw,target_soc\na,s,60,0.8,11,0.8\n",
            "no available EV can move",
        ),
    ],
    ids=["departures-past", "nothing-plugged-in", "nothing-can-move"],
)
def test_a_meaningless_plan_says_why_in_one_warning(fleet, cause, tmp_path, capsys):
    """A plan the fleet can do nothing for still prints its result, with one warning line naming the cause."""
    path = tmp_path / "fleet.csv"
    path.write_text(fleet)
    assert ven_main.main(["plan", "--fleet", str(path), "--duration", "1h", "--reduce-kw", "20"]) == 0
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"ven: warning: {path}: ")
    assert cause in lines[0]
    assert "shortfall" in captured.out


def test_the_command_line_loads_the_heavy_parts_only_for_the_commands_that_need_them():
    """Parsing (`--version`, help, bare usage, bad input) imports neither plotting, OpenADR, cryptography
    nor the solvers: those load with `ven demo`, `ven run`, `ven certs` and `ven plan` themselves."""
    heavy = ("matplotlib", "openleadr", "cryptography", "scipy", "highspy", "vtn_mock.server")
    probe = f"import sys, ven.cli.main, vtn_mock.cli; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
