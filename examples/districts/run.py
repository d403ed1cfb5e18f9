"""The Massachusetts programme as one VEN per district, on one PostgreSQL database, against one mock VTN.

    python examples/districts/run.py --storage postgresql://USER@127.0.0.1:5432/DB [--minutes 15]

Splits ../massachusetts/fleet.csv into seven VENs (the five school districts, the municipal sites, the
homes), moves its departures to today, starts `vtn-mock serve` and one `ven run` per VEN (all sharing the
database), sends each VEN its share of a program event starting in two minutes, and prints
`ven fleet status` every 30 s until the event is over; then stops everything (Ctrl-C stops it early).
The folder it works in (configs, logs) is printed first and kept.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ven.demo.timeshift import shift_fleet_csv

HERE = Path(__file__).resolve().parent
FLEET = HERE.parent / "massachusetts" / "fleet.csv"
FLEET_STATE_AT = datetime.fromisoformat("2026-07-14T15:40:00-04:00")  # the moment fleet.csv describes
PROGRAM_KW = 1175.0  # what the programme's showcase event asks of the whole fleet (average)
LEAD = timedelta(minutes=2)


def district_of(site: str) -> str:
    """school-<district> is a district's own VEN; the municipal sites and the homes are one VEN each."""
    if site.startswith("school-"):
        return "ma-" + site.removeprefix("school-")
    return "ma-municipal" if site.startswith("muni-") else "ma-residences"


def split_fleet(folder: Path, now: datetime) -> dict[str, tuple[Path, float]]:
    """One enrollment file per VEN, departures moved to today; with each VEN's discharge capacity (kW)."""
    text = shift_fleet_csv(
        FLEET.read_text(encoding="utf-8"),
        now + LEAD - FLEET_STATE_AT - timedelta(minutes=20),
        reference=FLEET_STATE_AT,
        timezone=ZoneInfo("America/New_York"),
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    by_ven: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_ven[district_of(row["site"])].append(row)
    out = {}
    for ven, members in sorted(by_ven.items()):
        path = folder / f"{ven}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(members)
        out[ven] = (path, sum(float(r["max_discharge_kw"] or 0) + float(r["max_charge_kw"]) for r in members))
    return out


def write_config(folder: Path, ven: str, fleet: Path, vtn_url: str, storage: str) -> Path:
    path = folder / f"{ven}.toml"
    path.write_text(
        f"""[ven]
name = "{ven}"
vtn_url = "{vtn_url}"
[fleet]
file = "{fleet}"
[dispatch]
policy = "optimal"
control_period = "30s"
[reports]
sampling = "10s"
[storage]
url = "{storage}"
""",
        encoding="utf-8",
    )
    return path


def post(url: str, body: object) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310 - the mock VTN on loopback
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        result: dict[str, object] = json.loads(answer.read())
        return result


def registered(admin_url: str) -> list[str]:
    with urllib.request.urlopen(f"{admin_url}/vens", timeout=30) as answer:  # noqa: S310 - loopback
        return [v["ven_name"] for v in json.loads(answer.read()) if v.get("registered")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", required=True, help="postgresql://user@host:port/db shared by every VEN")
    parser.add_argument("--minutes", type=int, default=15, help="event length (three equal intervals)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ma-districts-"))
    print(f"working in {folder}", flush=True)
    now = datetime.now(UTC)
    with (folder / "vtn.log").open("ab") as log:
        vtn = subprocess.Popen(  # noqa: S603 - our own tool
            [sys.executable, "-m", "vtn_mock.cli", "serve", "--port", "0", "--admin-port", "0",
             "--db", str(folder / "vtn.sqlite"), "--poll-interval", "10s"],
            stdout=subprocess.PIPE, stderr=log,
        )  # fmt: skip
    assert vtn.stdout is not None
    ready = json.loads(vtn.stdout.readline())
    vens = {}
    fleets = split_fleet(folder, now)
    for ven, (fleet, _) in fleets.items():
        config = write_config(folder, ven, fleet, ready["openadr_url"], args.storage)
        with (folder / f"{ven}.log").open("ab") as log:
            command = [sys.executable, "-m", "ven.cli.main", "run", "--config", str(config)]
            vens[ven] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)  # noqa: S603
    try:
        deadline = time.monotonic() + 180
        while len(registered(ready["admin_url"])) < len(vens) and time.monotonic() < deadline:
            time.sleep(1)  # every VEN registers before its event is sent
        missing = sorted(set(vens) - set(registered(ready["admin_url"])))
        if missing:
            print(f"not registered (yet): {', '.join(missing)}; see their logs in {folder}", flush=True)
        capacity = sum(kw for _, kw in fleets.values())
        # as planned (the fleet file was moved for it), unless starting the VENs took longer than the lead
        start = max(now + LEAD, datetime.now(UTC) + timedelta(seconds=30)).replace(microsecond=0)
        interval = f"PT{args.minutes * 20}S"
        for ven, (_, kw) in fleets.items():
            if ven in missing:
                continue
            share = round(PROGRAM_KW * kw / capacity, 1)
            post(f"{ready['admin_url']}/events", {
                "ven": ven, "signal": "LOAD_DISPATCH", "type": "delta", "start": start.isoformat(),
                "intervals": [{"duration": interval, "value": -share}] * 3,
            })  # fmt: skip
            print(f"{ven}: event asks {share} kW from {start:%H:%M:%S} UTC", flush=True)
        end = start + timedelta(minutes=args.minutes, seconds=30)
        while datetime.now(UTC) < end:
            status = [sys.executable, "-m", "ven.cli.main", "fleet", "status", "--storage", args.storage]
            subprocess.run(status, check=False)  # noqa: S603 - our own tool
            print(flush=True)
            time.sleep(30)
    except KeyboardInterrupt:
        pass
    finally:
        for process in [*vens.values(), vtn]:
            process.send_signal(signal.SIGTERM)
        for process in [*vens.values(), vtn]:
            process.wait(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
