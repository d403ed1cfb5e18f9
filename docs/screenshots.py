"""Take the README's dashboard screenshots from a real run: `python docs/screenshots.py`.

Runs `ven demo --serve` (the Massachusetts showcase: mock VTN, VEN, 90 simulated EVs over OpenADR 2.0b),
waits until the event is two thirds through, and photographs both dashboards in Debian's Chromium
(headless) into docs/dashboard-ven.png and docs/dashboard-vtn.png; then stops the demo with SIGINT.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import tempfile
import urllib.request
from pathlib import Path

from playwright.async_api import async_playwright

DOCS = Path(__file__).resolve().parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
URLS = re.compile(r"dashboards: VEN (\S+) , VTN (\S+)")
SHOT_AT_INTERVAL = 8  # of the showcase's 12


def interval_now(ven_url: str) -> int:
    with urllib.request.urlopen(ven_url + "api/dashboard?limit=1", timeout=30) as response:  # noqa: S310
        chart = json.loads(response.read())["chart"]
    return -1 if chart is None or chart["current_index"] is None else int(chart["current_index"])


async def photograph(ven_url: str, vtn_url: str, profile: Path) -> None:
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path="/usr/bin/chromium",
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(120_000)  # the demo shares a busy machine's cores with the browser
        page = await context.new_page()
        await page.goto(ven_url)
        await page.get_by_test_id("stream-state").filter(has_text="live").wait_for()
        await page.get_by_test_id("evs").locator("tr").first.wait_for()
        await page.set_viewport_size({"width": 1400, "height": 2050})  # down to the SOC bars
        await page.screenshot(path=DOCS / "dashboard-ven.png")
        await page.goto(vtn_url)
        await page.get_by_test_id("perf-rows").locator("tr").first.wait_for()
        await page.screenshot(path=DOCS / "dashboard-vtn.png", full_page=True)
        await context.close()


async def main() -> int:
    demo = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "ven.cli.main", "demo", "--serve"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert demo.stderr is not None
    try:
        found = None
        while found is None:
            line = (await demo.stderr.readline()).decode()
            if not line:
                print("the demo ended before its dashboards were up", file=sys.stderr)
                return 1
            found = URLS.search(line)
        ven_url, vtn_url = found.groups()
        while True:  # the demo's own clock decides when: poll its dashboard JSON
            if await asyncio.to_thread(interval_now, ven_url) >= SHOT_AT_INTERVAL - 1:
                break
            await asyncio.sleep(0.2)
        with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
            await photograph(ven_url, vtn_url, Path(profile))
        print(f"wrote {DOCS / 'dashboard-ven.png'} and {DOCS / 'dashboard-vtn.png'}")
        return 0
    finally:
        if demo.returncode is None:
            demo.send_signal(signal.SIGINT)
            await demo.wait()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
