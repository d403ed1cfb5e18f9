"""Five real `ven run` processes (one per district) on one PostgreSQL database and one mock VTN."""

from __future__ import annotations

import json
from pathlib import Path

from tests.processes import (
    MockVtn,
    free_port,
    http_status,
    run_cli,
    start_ven,
    stop_process,
    write_fleet,
    write_ven_config,
)
from tests.waiting import wait_until

DISTRICTS = ("amherst", "boston", "chelsea", "dedham", "everett")
EVS = 4
START_S = 60.0  # every VEN starts in this (a Python start on a busy 2-core machine takes seconds)


def test_five_vens_share_one_database_and_show_in_one_view(tmp_path: Path, postgres_schema_url: str) -> None:
    """Each VEN registers, is dispatched by its own event and owns its rows; a second process with a
    running VEN's name is refused in one line; `ven fleet status --json` and GET /fleet list all five."""
    vtn = MockVtn.start(tmp_path)
    ports = {name: free_port() for name in DISTRICTS}
    configs = {
        name: write_ven_config(
            tmp_path,
            name=name,
            vtn_url=vtn.openadr_url,
            fleet=write_fleet(tmp_path / f"{name}.csv", EVS, prefix=f"{name}-", sites=2),
            storage_url=postgres_schema_url,
            http_port=ports[name],
            control_period="2s",
            sampling="1s",
        )
        for name in DISTRICTS
    }
    vens = {name: start_ven(configs[name], tmp_path / f"{name}.log") for name in DISTRICTS}
    try:
        wait_until(
            lambda: len([v for v in vtn.vens() if v.get("ven_id")]) == len(DISTRICTS),
            START_S * 2,
            "all five VENs registered",
        )
        duplicate = run_cli("run", "--config", str(configs["boston"]))
        assert duplicate.returncode != 0
        assert duplicate.stderr.count("\n") == 1, duplicate.stderr
        assert "'boston' is already running" in duplicate.stderr
        events = {
            name: vtn.create_event(name, -20.0, start="+5s", duration="PT30S", intervals=2)
            for name in DISTRICTS
        }

        def fleet_view() -> dict[str, dict[str, object]]:
            answer = run_cli("fleet", "status", "--storage", postgres_schema_url, "--json")
            assert answer.returncode == 0, answer.stderr
            return {v["name"]: v for v in json.loads(answer.stdout)["vens"]}

        def all_dispatched() -> dict[str, dict[str, object]] | None:
            view = fleet_view()
            active = all(view.get(n, {}).get("active_event") == events[n] for n in DISTRICTS)
            return view if active and all(view[n]["requested_kw"] for n in DISTRICTS) else None

        view = wait_until(all_dispatched, 120, "every VEN dispatching its own event", step_s=1.0)
        assert sorted(view) == sorted(DISTRICTS)
        for name in DISTRICTS:
            entry = view[name]
            assert entry["link"] == "up"
            assert entry["ven_id"]
            assert entry["requested_kw"] == 20.0
            assert isinstance(entry["delivered_kw"], float)
            assert entry["evs_plugged_in"] == EVS
            assert sorted(entry["soc_by_site"]) == ["site0", "site1"]
        over_http = http_status(ports["chelsea"], "/fleet")
        assert over_http is not None
        assert sorted(v["name"] for v in over_http["vens"]) == sorted(DISTRICTS)
    finally:
        codes = {name: stop_process(ven) for name, ven in vens.items()}
        vtn.stop()
    logs = {name: (tmp_path / f"{name}.log").read_text()[-1500:] for name in DISTRICTS}
    assert codes == dict.fromkeys(DISTRICTS, 0), logs
    after = json.loads(run_cli("fleet", "status", "--storage", postgres_schema_url, "--json").stdout)
    assert {v["name"]: v["link"] for v in after["vens"]} == dict.fromkeys(DISTRICTS, "stopped")
