"""The VEN dashboard in headless Chromium: what it shows, and that it follows the VEN live."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import expect

from .conftest import Stack, Watched, big_fleet_csv


def kw(value: float) -> str:
    """A number as the page writes kW figures."""
    return f"{value:,.1f}"


async def live(watched: Watched) -> None:
    await expect(watched.page.get_by_test_id("stream-state")).to_have_text("live")


async def test_ven_page_shows_what_status_shows(start_stack, open_page) -> None:
    """The page loads without console errors, fetches nothing from elsewhere, and shows the identity,
    link and fleet figures /status gives at the same instant (the clock stands still)."""
    stack: Stack = await start_stack()
    watched = await open_page(stack.ven_url)
    page = watched.page
    await live(watched)
    status = await stack.get(stack.ven_url + "status")
    fleet = status["fleet"]
    await expect(page.get_by_test_id("fleet-ts")).to_have_attribute(
        "data-ts", fleet["ts"].replace("+00:00", "Z")
    )
    await expect(page.get_by_test_id("ven-id")).to_have_text(f"venID {status['registration']['ven_id']}")
    await expect(page.get_by_test_id("link-state")).to_have_text("up")
    for testid, key in (
        ("fleet-usage", "usage_kw"),
        ("fleet-baseline", "baseline_kw"),
        ("fleet-delta", "delta_usage_kw"),
        ("fleet-available", "available_reduction_kw"),
        ("fleet-energy", "stored_energy_kwh"),
    ):
        await expect(page.get_by_test_id(testid)).to_have_text(kw(fleet[key]))
    await expect(page.get_by_test_id("fleet-plugged")).to_have_text(str(fleet["plugged_in"]))
    await expect(page.get_by_test_id("fleet-online")).to_have_text(str(fleet["online"]))
    assert fleet["evs"] == 4
    assert status["events"] == []
    await expect(page.locator("#no-events")).to_be_visible()
    await expect(page.get_by_test_id("evs").locator("tr")).to_have_count(4)
    watched.clean(stack.ven_url.rstrip("/"))


async def test_ven_page_follows_an_event_start_and_each_new_interval(start_stack, open_page) -> None:
    """With time moved by hand, the open page shows the event arrive (answered optIn, with why), start
    (active, dispatching, interval 1 of 3) and move to its next interval, as /status does, without reload."""
    stack: Stack = await start_stack()
    watched = await open_page(stack.ven_url)
    page = watched.page
    await live(watched)
    event_id = await stack.create_event(timedelta(seconds=60), [-10, -20, -15])
    row = page.locator(f'#events tr[data-event-id="{event_id}"]')
    await expect(row).to_have_attribute("data-status", "far")
    await expect(row.locator(".pill.ok")).to_have_text("optIn")
    answer = (await stack.get(stack.ven_url + "api/dashboard"))["events"][0]
    assert (answer["opt"], answer["opt_source"]) == ("optIn", "policy")
    assert answer["opt_reason"].startswith("plan delivers 100% of the requested")
    await expect(row.locator(".reason")).to_have_text(answer["opt_reason"])
    await expect(page.get_by_test_id("chart-event")).to_have_text(event_id)
    await expect(page.get_by_test_id("chart-status")).to_have_text("far")

    await stack.advance(timedelta(seconds=60))
    await expect(row).to_have_attribute("data-status", "active")
    await expect(page.get_by_test_id("chart-status")).to_have_text("active")
    await expect(page.get_by_test_id("chart-interval")).to_have_text("1 of 3")
    await expect(row).to_contain_text("dispatching")
    status = await stack.get(stack.ven_url + "status")
    assert status["dispatching"]["event_id"] == event_id
    assert [e["status"] for e in status["events"]] == ["active"]
    chart_rows = page.get_by_test_id("chart-rows").locator("tr")
    await expect(chart_rows).to_have_count(3)
    await expect(chart_rows.nth(0).locator("td").nth(2)).to_have_text(kw(10))  # requested kW
    await expect(page.get_by_test_id("decisions").locator("tr").first).to_contain_text(event_id)

    await stack.advance(timedelta(seconds=60))
    await expect(page.get_by_test_id("chart-interval")).to_have_text("2 of 3")
    await expect(chart_rows.nth(1)).to_have_class("current")
    await expect(chart_rows.nth(1).locator("td").nth(2)).to_have_text(kw(20))
    dashboard = await stack.get(stack.ven_url + "api/dashboard")
    assert dashboard["chart"]["current_index"] == 1
    watched.clean(stack.ven_url.rstrip("/"))


async def test_ev_table_at_ten_thousand_evs_pages_filters_and_sorts(start_stack, open_page) -> None:
    """10,000 EVs over 250 sites: the table shows one page of 50, pages on, filters by site, by id and by
    departure risk, sorts by SOC, and the fleet figures still match /status."""
    stack: Stack = await start_stack(big_fleet_csv(10_000, 250))
    watched = await open_page(stack.ven_url)
    page = watched.page
    await live(watched)
    rows = page.get_by_test_id("evs").locator("tr")
    await expect(rows).to_have_count(50)
    await expect(page.get_by_test_id("evs-matched")).to_have_text("10,000")
    await expect(page.get_by_test_id("ev-range")).to_have_text("1–50 of 10,000")
    await expect(rows.first).to_have_attribute("data-ev-id", "ev00000")

    await page.get_by_test_id("ev-next").click()
    await expect(page.get_by_test_id("ev-range")).to_have_text("51–100 of 10,000")
    await expect(rows.first).to_have_attribute("data-ev-id", "ev00050")

    await page.get_by_test_id("ev-site").select_option("site-007")
    await expect(page.get_by_test_id("evs-matched")).to_have_text("40")
    await expect(rows).to_have_count(40)
    sites = await rows.locator("td:nth-child(2)").all_text_contents()
    assert sites == ["site-007"] * 40
    await expect(rows.first).to_have_attribute("data-ev-id", "ev00007")
    await expect(page.get_by_test_id("ev-next")).to_be_disabled()

    await page.get_by_test_id("ev-site").select_option("")
    await page.get_by_test_id("ev-q").fill("ev0990")
    await expect(page.get_by_test_id("evs-matched")).to_have_text("10")

    await page.get_by_test_id("ev-q").fill("")
    await page.locator("#ev-sort").select_option("soc")
    await expect(page.get_by_test_id("evs-matched")).to_have_text("10,000")
    socs = [float(t.rstrip(" %")) for t in await rows.locator("td:nth-child(6)").all_text_contents()]
    assert len(socs) == 50
    assert socs == sorted(socs)

    await page.locator("#ev-risk").check()
    at_risk = (await stack.get(stack.ven_url + "api/dashboard?at_risk=1"))["evs"]
    await expect(page.get_by_test_id("evs-matched")).to_have_text(f"{at_risk['matched']:,}")
    await expect(rows).to_have_count(min(50, at_risk["matched"]))

    status = await stack.get(stack.ven_url + "status")
    assert status["fleet"]["evs"] == 10_000
    await expect(page.get_by_test_id("fleet-usage")).to_have_text(kw(status["fleet"]["usage_kw"]))
    await expect(page.get_by_test_id("fleet-plugged")).to_have_text(f"{status['fleet']['plugged_in']:,}")
    site_bars = page.get_by_test_id("soc-site").locator(".bar")
    await expect(site_bars).to_have_count(250)
    watched.clean(stack.ven_url.rstrip("/"))


async def test_with_a_token_the_page_asks_for_it_and_then_shows_data(
    start_stack, open_page, monkeypatch
) -> None:
    """With VEN_HTTP_TOKEN set the page itself loads, its data does not until the token is given (typed
    in, or passed in the URL fragment, which never reaches the server)."""
    monkeypatch.setenv("VEN_HTTP_TOKEN", "dash-token-1234")
    stack: Stack = await start_stack()
    async with stack.session.get(stack.ven_url + "api/dashboard") as response:
        assert response.status == 401
    watched = await open_page(stack.ven_url)
    page = watched.page
    await expect(page.locator("#token-box")).to_be_visible()
    await expect(page.get_by_test_id("fleet-usage")).to_have_text("—")
    await page.locator("#token-input").fill("dash-token-1234")
    await page.locator("#token-form button").click()
    await live(watched)
    await expect(page.locator("#token-box")).to_be_hidden()
    await expect(page.get_by_test_id("fleet-plugged")).to_have_text("4")
    assert all("401" in e for e in watched.errors), watched.errors  # the refused first try, nothing else

    again = await open_page(stack.ven_url + "#token=dash-token-1234")
    await live(again)
    await expect(again.page.get_by_test_id("fleet-plugged")).to_have_text("4")
    assert "token" not in again.page.url
    again.clean(stack.ven_url.rstrip("/"))
