"""The mock VTN dashboard in headless Chromium: VENs, events made from the page, the API's performance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.async_api import Locator, Page, expect

from tests.waiting import until

from .conftest import Stack


def kw(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


async def fill_form(page: Page, *, start: str, intervals: str) -> None:
    await page.get_by_test_id("f-start").fill(start)
    await page.get_by_test_id("f-intervals").fill(intervals)
    await page.get_by_test_id("f-submit").click()


def event_row(page: Page, event_id: str) -> Locator:
    return page.locator(f'#events tr[data-event-id="{event_id}"]')


async def test_vtn_page_creates_modifies_and_cancels_an_event(start_stack, open_page) -> None:
    """From the page: an event is created for the VEN (which answers optIn), modified, and cancelled with a
    confirming second click; the admin API agrees at each step; no console error, nothing from elsewhere."""
    stack: Stack = await start_stack()
    watched = await open_page(stack.vtn_url)
    page = watched.page
    ven = page.locator('#vens tr[data-ven-name="dash-ven"]')
    await expect(ven.locator(".pill")).to_have_text("polling")
    await expect(page.get_by_test_id("f-ven")).to_have_value("dash-ven")

    await page.get_by_test_id("f-signal").select_option("LOAD_DISPATCH")
    await page.get_by_test_id("f-type").select_option("delta")
    await fill_form(page, start="+2m", intervals="1m:-12, 1m:-18")
    message = page.get_by_test_id("f-message")
    await expect(message).to_contain_text("created event")
    event_id = (await message.text_content() or "").split()[2]
    row = event_row(page, event_id)
    await expect(row.locator('[data-testid="status"]')).to_have_text("far")
    await expect(row).to_contain_text("optIn")
    created = await stack.get(f"{stack.vtn.admin_url}/events/{event_id}")
    assert [i["value"] for i in created["intervals"]] == [-12, -18]
    assert created["vens"][0]["opt"] == "optIn"

    await row.locator('button[data-action="modify"]').click()
    await expect(page.locator("#form-title")).to_have_text(f"Modify event {event_id}")
    await expect(page.get_by_test_id("f-intervals")).to_have_value("PT1M:-12, PT1M:-18")
    await page.get_by_test_id("f-intervals").fill("1m:-15, 1m:-18")
    await page.get_by_test_id("f-submit").click()
    await expect(message).to_have_text(f"event {event_id} is now modification 1")
    await expect(row).to_contain_text("mod 1")
    modified = await stack.get(f"{stack.vtn.admin_url}/events/{event_id}")
    assert (modified["modification_number"], modified["intervals"][0]["value"]) == (1, -15)

    cancel = row.locator('button[data-action="cancel"]')
    await cancel.click()
    await expect(cancel).to_have_text("Confirm cancel")
    assert (await stack.get(f"{stack.vtn.admin_url}/events/{event_id}"))["status"] == "far"
    await cancel.click()
    await expect(row.locator('[data-testid="status"]')).to_have_text("cancelled")
    assert (await stack.get(f"{stack.vtn.admin_url}/events/{event_id}"))["status"] == "cancelled"
    watched.clean(stack.vtn_url.rstrip("/"))


async def test_vtn_page_refuses_a_bad_event_with_the_apis_reason(start_stack, open_page) -> None:
    """A malformed interval list is named on the page; one the API refuses shows the API's field error."""
    stack: Stack = await start_stack()
    watched = await open_page(stack.vtn_url)
    page = watched.page
    message = page.get_by_test_id("f-message")
    await expect(page.get_by_test_id("f-ven")).to_have_value("dash-ven")
    await fill_form(page, start="+2m", intervals="1m")
    await expect(message).to_have_text('intervals: "1m" is not DURATION:VALUE (e.g. 15m:-500)')
    await fill_form(page, start="yesterday", intervals="1m:-5")
    await expect(message).to_contain_text("start:")
    assert await stack.get(f"{stack.vtn.admin_url}/events") == []


def page_rows(texts: list[list[str]]) -> list[list[str]]:
    return [row[3:] for row in texts]  # requested, baseline, measured, delivered


def api_rows(performance: dict[str, Any]) -> list[list[str]]:
    keys = ("requested_kw", "baseline_kw", "measured_kw", "delivered_kw")
    return [[kw(i[k]) for k in keys] for i in performance["intervals"]]


async def test_vtn_page_shows_the_performance_api_numbers(start_stack, open_page) -> None:
    """As the VEN reports through an event's intervals (time moved by hand), the page's performance table
    shows exactly what GET /api/events/{id}/performance says, interval by interval."""
    stack: Stack = await start_stack()
    event_id = await stack.create_event(timedelta(seconds=30), [-10, -20])
    watched = await open_page(stack.vtn_url)
    page = watched.page
    await expect(page.get_by_test_id("perf-event")).to_have_text(event_id)
    rows = page.get_by_test_id("perf-rows").locator("tr")
    await expect(rows).to_have_count(2)
    url = f"{stack.vtn.admin_url}/events/{event_id}/performance"

    async def shown() -> list[list[str]]:
        return page_rows([await r.locator("td").all_text_contents() for r in await rows.all()])

    for k, advance in enumerate((timedelta(seconds=50), timedelta(seconds=60))):
        await stack.advance_past_a_sample(advance)

        async def measured(k: int = k) -> bool:
            performance = await stack.get(url)
            return performance["intervals"][k]["measured_kw"] is not None

        await until(measured)

        async def agrees() -> bool:
            return await shown() == api_rows(await stack.get(url))

        await until(agrees)
        performance = await stack.get(url)
        assert performance["intervals"][k]["requested_kw"] == [10, 20][k]
        assert performance["intervals"][k]["delivered_kw"] is not None
    totals = (await stack.get(url))["totals"]
    await expect(page.get_by_test_id("perf-totals")).to_contain_text(
        f"requested {kw(totals['requested_kw_avg'])} kW"
    )
    await expect(page.get_by_test_id("answers")).to_contain_text("optIn")
    watched.clean(stack.vtn_url.rstrip("/"))


async def test_vtn_page_lists_the_opt_schedules_vens_send(start_stack, open_page) -> None:
    """An owner's window opt-out posted to the VEN reaches the mock VTN as oadrCreateOpt and shows on the
    page as a live optOut (overrideStatus) with its window; cancelled at the VEN, the page shows it
    cancelled, as GET /api/opts says."""
    stack: Stack = await start_stack()
    watched = await open_page(stack.vtn_url)
    page = watched.page
    start = stack.clock.now() + timedelta(hours=1)
    window = {"from": start.isoformat(), "until": (start + timedelta(hours=2)).isoformat(), "note": "trip"}
    override = await stack.send("POST", f"{stack.ven_url}api/opt-out", window)

    async def owner_opts() -> list[dict[str, Any]]:
        opts = await stack.get(f"{stack.vtn.admin_url}/opts")
        return [o for o in opts if o["opt_reason"] == "overrideStatus"]

    async def sent() -> bool:
        return len(await owner_opts()) == 1

    await until(sent)
    [opt] = await owner_opts()
    assert (opt["opt_type"], opt["live"], len(opt["windows"])) == ("optOut", True, 1)
    row = page.locator(f'#opts tr[data-opt-id="{opt["opt_id"]}"]')
    await expect(row).to_contain_text("overrideStatus")
    await expect(row).to_contain_text("optOut")
    await expect(row).to_contain_text("dash-ven")
    await expect(row.locator('[data-testid="opt-state"]')).to_have_text("live")

    await stack.send("DELETE", f"{stack.ven_url}api/opt-outs/{override['id']}")

    async def cancelled() -> bool:
        return [o["live"] for o in await owner_opts()] == [False]

    await until(cancelled)
    await expect(row.locator('[data-testid="opt-state"]')).to_contain_text("cancelled")
    await expect(row).to_have_attribute("data-live", "false")
    watched.clean(stack.vtn_url.rstrip("/"))
