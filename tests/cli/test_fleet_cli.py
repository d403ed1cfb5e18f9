"""`ven fleet status`: every VEN of a database in one view, as a table or CONTRACT.md's JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from ven.storage import Registration, Store, VenStatus


def ven(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ven.cli.main", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_status_lists_every_ven_of_the_database(tmp_path):
    """Two VENs on one SQLite file: the running one is up with its figures, the other stopped."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    running = Store.open(url, ven_name="north")
    running.claim()
    running.registration.save(Registration("ven-n", "reg-n", "VTN"))
    figures = {"requested_kw": 50.0, "delivered_kw": 48.5, "evs": 3, "evs_plugged_in": 2}
    running.status.publish(VenStatus(link_up=True, active_event="e7", soc_by_site={"depot": 0.5}, **figures))
    with Store.open(url, ven_name="south") as south:
        south.claim()
    try:
        answer = ven("fleet", "status", "--storage", url, "--json")
        table = ven("fleet", "status", "--storage", url)
    finally:
        running.close()
    assert answer.returncode == 0, answer.stderr
    vens = {v["name"]: v for v in json.loads(answer.stdout)["vens"]}
    assert sorted(vens) == ["north", "south"]
    north = vens["north"]
    expected = {
        "ven_id": "ven-n",
        "link": "up",
        "active_event": "e7",
        "requested_kw": 50.0,
        "delivered_kw": 48.5,
    }
    assert {k: north[k] for k in expected} == expected
    assert (north["evs_plugged_in"], north["soc_by_site"]) == (2, {"depot": 0.5})
    assert vens["south"]["link"] == "stopped"
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert len(lines) == 3
    assert lines[1].split()[:3] == ["north", "up", "e7"]
    assert "depot=50%" in lines[1]


def test_bad_storage_is_one_line_and_exit_2(tmp_path):
    """An unknown scheme or a missing file is refused in one line, and no file is created."""
    for url in ("mysql://h/db", f"sqlite:///{tmp_path / 'missing.db'}"):
        answer = ven("fleet", "status", "--storage", url)
        assert answer.returncode == 2, answer.stderr
        assert answer.stderr.count("\n") == 1
        assert answer.stderr.startswith("ven: error: --storage")
    assert not (tmp_path / "missing.db").exists()
