"""`ven demo --json` end to end (mock VTN, VEN, simulated fleet over real OpenADR), as the README runs it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.demo.running import run_demo

ROOT = Path(__file__).resolve().parents[2]


def readme_demo_command() -> list[str]:
    """The `ven demo --json` line of the README's showcase section, as arguments after `ven`."""
    section = (ROOT / "README.md").read_text().split("## The showcase")[1]
    line = re.search(r"```sh\n(.+)\n```", section)
    assert line
    args = shlex.split(line.group(1))
    assert args[0] == ".venv/bin/ven"
    return args[1:]


@pytest.mark.slow
def test_demo_json_delivers_a_megawatt_with_no_departure_violations(tmp_path: Path):
    """≥ 1 MW requested, ≥ 98 % delivered as the VTN measured it, and every EV that left (all the watched
    ones: the fleet is run past the last departure) left with its departure SOC."""
    args = readme_demo_command()
    assert args[:2] == ["demo", "--json"]
    args[args.index("--plot") + 1] = str(tmp_path / "ven-demo.png")
    result, summary = run_demo(args, tmp_path)
    assert summary["requested_kw"] >= 1000
    assert summary["delivered_kw"] >= 0.98 * summary["requested_kw"]
    assert summary["delivered_ratio"] >= 0.98
    metrics = summary["metrics"]
    assert metrics["user_satisfaction_min"] == pytest.approx(1.0, abs=1e-5)  # every EV left with its SOC
    assert metrics["delivered_energy_ratio"] >= 0.98
    assert metrics["discharged_kwh"] > 0.0  # the showcase exports: V2G batteries discharge
    assert 0.0 < metrics["equivalent_full_cycles"] < 1.0
    assert summary["departures_checked"] > 80
    assert summary["departure_soc_violations"] == 0
    assert summary["departure_soc_violators"] == []
    assert summary["ven"]["opt"] == "optIn"
    assert len(summary["intervals"]) == 12
    assert all(i["measured_kw"] is not None for i in summary["intervals"])
    assert set(summary["intervals"][0]["soc_by_site_type"]) == {"school districts", "municipal", "residences"}
    assert Path(summary["plot"]).read_bytes()[:4] == b"\x89PNG"
    assert "[demo] registered as venID" in result.stderr
    assert "12/12" in result.stderr  # progress lines while it ran


@pytest.mark.slow
def test_demo_over_openadr3(tmp_path: Path):
    """`ven demo --protocol openadr3`: the same showcase over OpenADR 3.1; the mock VTN measures the
    megawatt from the VEN's 3.1 reports."""
    args = [
        "demo",
        "--json",
        "--protocol",
        "openadr3",
        "--time-scale",
        "400",
        "--plot",
        str(tmp_path / "p.png"),
    ]
    result, summary = run_demo(args, tmp_path)
    assert "/openadr3/3.1.0" in result.stderr  # the progress line names the 3.1 URL
    assert summary["ven"]["opt"] == "optIn"
    assert summary["requested_kw"] >= 1000
    assert summary["delivered_ratio"] >= 0.95
    assert len(summary["intervals"]) == 12
    assert all(i["measured_kw"] is not None for i in summary["intervals"])
    assert summary["departure_soc_violations"] == 0
