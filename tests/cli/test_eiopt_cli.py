"""`ven forecast` and `ven opt-out` as a user runs them: one real process for the contract shape,
the rest in-process through ven.cli.main.main with real files and a real database."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ven.cli.main import main
from ven.storage import Store

FLEET = """ev_id,site,capacity_kwh,soc,max_charge_kw,max_discharge_kw,min_soc,target_soc
a1,depot-a,60,0.5,11,10,0.2,1.0
b1,depot-b,60,0.5,11,10,0.2,1.0
"""
START = "2026-07-14T20:00:00+00:00"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "fleet.csv").write_text(FLEET)
    path = tmp_path / "ven.toml"
    path.write_text(
        '[ven]\nname = "v"\nvtn_url = "http://127.0.0.1:1/OpenADR2/Simple/2.0b"\ntimezone = "UTC"\n'
        '[fleet]\nfile = "fleet.csv"\n[storage]\nurl = "sqlite:///ven.db"\n'
        '[[opt.unavailable]]\ndays = "daily"\nstart = "21:00"\nend = "22:00"\n'
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_forecast_json_prints_96_steps(tmp_path: Path) -> None:
    """`ven forecast --fleet F --json` (a real process): 96 steps with the contract's five fields, from
    the current quarter hour."""
    (tmp_path / "fleet.csv").write_text(FLEET)
    before = datetime.now(UTC)
    result = subprocess.run(
        [sys.executable, "-m", "ven.cli.main", "forecast", "--fleet", str(tmp_path / "fleet.csv"), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    steps = json.loads(result.stdout)["steps"]
    assert len(steps) == 96
    assert set(steps[0]) == {
        "start",
        "end",
        "available_reduction_kw",
        "available_curtailment_kw",
        "energy_above_reserve_kwh",
    }
    first = datetime.fromisoformat(steps[0]["start"])
    assert first.minute % 15 == 0
    assert first.second == 0
    assert first <= datetime.now(UTC)
    assert first > before - timedelta(minutes=15)
    assert datetime.fromisoformat(steps[-1]["end"]) - first == timedelta(hours=24)


def test_forecast_from_config_takes_out_windows_and_overrides(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    """With --config the configured window (21-22 h) and an owner override (depot-b, 20:30-21 h) reduce
    the offer; with --fleet alone they do not."""
    code, _, err = run(
        capsys,
        "opt-out",
        "--config",
        str(config),
        "--from",
        "2099-07-14T20:30:00Z",
        "--until",
        "2099-07-14T21:00:00Z",
        "--site",
        "depot-b",
    )
    assert code == 0, err
    start = "2099-07-14T20:00:00+00:00"
    code, out, _ = run(capsys, "forecast", "--config", str(config), "--start", start, "--json")
    assert code == 0
    offered = [s["available_reduction_kw"] for s in json.loads(out)["steps"]]
    code, out, _ = run(
        capsys, "forecast", "--fleet", str(config.parent / "fleet.csv"), "--start", start, "--json"
    )
    plain = [s["available_reduction_kw"] for s in json.loads(out)["steps"]]
    assert plain[:8] == [42.0] * 8  # two EVs: 11 kW baseline + 10 kW export each
    assert offered[:8] == [42.0, 42.0, 21.0, 21.0, 0.0, 0.0, 0.0, 0.0]
    assert offered[8:] == plain[8:]


def test_opt_out_records_lists_and_cancels(capsys: pytest.CaptureFixture[str], config: Path) -> None:
    """An event override and a window override go into the VEN's database; --list shows them, --cancel
    ends one."""
    assert run(capsys, "opt-out", "--config", str(config), "--event", "evt-7", "--json")[0] == 0
    code, out, _ = run(
        capsys, "opt-out", "--config", str(config), "--from", "+1h", "--until", "+3h", "--note", "trip"
    )
    assert code == 0
    assert "recorded" in out
    code, out, _ = run(capsys, "opt-out", "--config", str(config), "--list", "--json")
    overrides = json.loads(out)["overrides"]
    assert [(o["event_id"], o["site"], o["note"]) for o in overrides] == [
        ("evt-7", None, ""),
        (None, None, "trip"),
    ]
    assert run(capsys, "opt-out", "--config", str(config), "--cancel", str(overrides[0]["id"]))[0] == 0
    with Store.open(config.parent / "ven.db", ven_name="v") as store:
        active = store.overrides.active(datetime.now(UTC))
    assert [o.note for o in active] == ["trip"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--event", "e1", "--site", "nowhere"], "site 'nowhere' is not in the enrollment"),
        (["--from", "+2h", "--until", "+1h"], "must be after"),
        (["--from", "2020-01-01T00:00:00Z", "--until", "2020-01-01T01:00:00Z"], "already over"),
        (["--from", "+1h"], "--from and --until go together"),
        (["--cancel", "99"], "there is no override 99"),
        (["--from", "soon", "--until", "later"], "soon"),
    ],
)
def test_bad_opt_out_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], config: Path, args: list[str], needle: str
) -> None:
    """Every bad input: exit 2, exactly one line on stderr naming the problem, nothing recorded."""
    code, out, err = run(capsys, "opt-out", "--config", str(config), *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("ven: error: ")
    assert needle in err
