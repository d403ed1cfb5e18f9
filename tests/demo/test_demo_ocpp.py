"""`ven demo --chargers ocpp --json`: the showcase event, shortened, through the VEN's OCPP backend with a
simulated OCPP station per EV (2.1 for V2G, 2.0.1 for V1G) over loopback websockets, in real time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.demo.running import run_demo
from ven.chargers.ocpp import OcppVersion
from ven.demo import ocpp_stations
from ven.demo.showcase import EXAMPLE_DIR, load_showcase
from ven.model.enrollment import load_fleet


def test_compressed_showcase_keeps_the_first_intervals_values() -> None:
    """The short event: the showcase's first intervals at the same kW, COMPRESSED_INTERVAL each."""
    showcase = load_showcase(EXAMPLE_DIR, datetime.now(UTC))
    short = ocpp_stations.compress(showcase)
    n = ocpp_stations.COMPRESSED_INTERVALS
    assert short.requested_kw == showcase.requested_kw[:n]
    assert short.duration == n * ocpp_stations.COMPRESSED_INTERVAL
    assert short.time_compression * ocpp_stations.COMPRESSED_INTERVAL == showcase.event.intervals[0].duration


def test_v2g_evs_get_ocpp_21_stations_and_v1g_ones_201() -> None:
    fleet = load_fleet(EXAMPLE_DIR / "fleet.csv")
    versions = [ocpp_stations.version_for(ev) for ev in fleet.evs]
    pairs = zip(fleet.evs, versions, strict=True)
    assert all((version is OcppVersion.V21) == (ev.max_discharge_kw > 0) for ev, version in pairs)
    assert OcppVersion.V201 in versions  # the example has V1G-only EVs


@pytest.mark.slow
def test_demo_over_ocpp_stations_delivers_the_request(tmp_path: Path) -> None:
    """Opt-in, ≥ 1 MW asked, ≥ 90 % delivered as the VTN measured it; once the VEN stopped, every station
    charged its EV on by itself until it left, and every watched EV left with its departure SOC."""
    result, summary = run_demo(
        ["demo", "--chargers", "ocpp", "--json", "--plot", str(tmp_path / "demo.png")], tmp_path
    )
    assert summary["ven"]["opt"] == "optIn"
    assert summary["chargers"] == "ocpp"
    assert summary["time_scale"] == 1
    assert summary["requested_kw"] >= 1000
    assert summary["delivered_ratio"] >= 0.9
    assert summary["delivered_kw"] >= 0.9 * summary["requested_kw"]
    assert summary["measured_kw"] < 0  # the fleet exports through its OCPP 2.1 stations
    watched = sum(1 for ev in load_fleet(EXAMPLE_DIR / "fleet.csv").evs if ev.plugged_in and ev.departure)
    assert summary["departures_checked"] == watched > 80
    assert summary["departure_soc_violations"] == 0
    assert "each station charged its EV on by itself" in summary["departure_note"]
    assert len(summary["intervals"]) == ocpp_stations.COMPRESSED_INTERVALS
    assert all(i["measured_kw"] is not None for i in summary["intervals"])
    assert "OCPP 2.1 V2G" in result.stderr
    assert "OCPP 2.0.1 V1G" in result.stderr
    assert f"{ocpp_stations.COMPRESSED_INTERVALS}/{ocpp_stations.COMPRESSED_INTERVALS}" in result.stderr
