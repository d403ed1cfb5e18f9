"""PostgreSQL stopped and started mid-event under two real `ven run` processes: dispatch goes on from
memory, writes are buffered and replayed, and nothing is lost."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path

from tests.processes import (
    MockVtn,
    free_port,
    metrics,
    start_ven,
    stop_process,
    write_fleet,
    write_ven_config,
)
from tests.waiting import wait_until
from ven.storage import FLEET_RESOURCE, Store

NAMES = ("north", "south")


def test_vens_ride_through_a_database_restart(tmp_path: Path, own_postgres) -> None:
    """While the server is down both VENs keep stepping (and say the store is unavailable); after it is
    back their buffers drain, and the database holds decisions and 1 s samples through the outage."""
    vtn = MockVtn.start(tmp_path)
    ports = {name: free_port() for name in NAMES}
    vens = {}
    for name in NAMES:
        config = write_ven_config(
            tmp_path,
            name=name,
            vtn_url=vtn.openadr_url,
            fleet=write_fleet(tmp_path / f"{name}.csv", 4, prefix=f"{name}-"),
            storage_url=own_postgres.url,
            http_port=ports[name],
            control_period="1s",
            sampling="1s",
        )
        vens[name] = start_ven(config, tmp_path / f"{name}.log")
    try:
        wait_until(lambda: len([v for v in vtn.vens() if v.get("ven_id")]) == 2, 120, "both VENs registered")
        for name in NAMES:
            vtn.create_event(name, -20.0, start="+3s", duration="PT40S", intervals=3)
        wait_until(
            lambda: all(metrics(p).get("ven_dispatching") == 1.0 for p in ports.values()), 60, "dispatch"
        )
        steps = {name: metrics(port)["ven_dispatch_steps"] for name, port in ports.items()}
        own_postgres.stop()
        stopped_at = datetime.now().astimezone()

        def stepping_while_down() -> bool:
            now = {name: metrics(port) for name, port in ports.items()}
            return all(
                m.get("ven_storage_unavailable") == 1.0 and m.get("ven_dispatch_steps", 0) >= steps[n] + 3
                for n, m in now.items()
            )

        wait_until(stepping_while_down, 60, "both VENs dispatching with the database down")
        own_postgres.start()
        started_at = datetime.now().astimezone()
        wait_until(
            lambda: all(
                metrics(p).get("ven_storage_unavailable") == 0.0
                and metrics(p).get("ven_storage_buffered_writes") == 0.0
                for p in ports.values()
            ),
            60,
            "buffers drained",
        )
    finally:
        codes = {name: stop_process(ven) for name, ven in vens.items()}
        vtn.stop()
    assert codes == dict.fromkeys(NAMES, 0), {n: (tmp_path / f"{n}.log").read_text()[-1500:] for n in NAMES}
    for name in NAMES:
        with Store.open(own_postgres.url, ven_name=name) as store:
            [event] = store.events.latest()
            decided = [d.decided_at for d in store.dispatch.for_event(event.event_id)]
            assert any(stopped_at < t < started_at for t in decided), name  # dispatched while down, kept
            samples = [
                s.ts
                for s in store.telemetry.between(
                    stopped_at - timedelta(seconds=5), started_at, FLEET_RESOURCE
                )
            ]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(samples)]
        assert len(samples) >= 5, name
        assert max(gaps) < 3.0, (name, gaps)  # a sample every second through the outage
