"""The situational picture in real Chromium: from the dashboard to a figure's list, axe-clean."""

from __future__ import annotations

from playwright.async_api import Page

from core.web.runtime import Runtime
from tests.browser.helpers import assert_accessible, browser_sign_in
from tests.core.situation.scenario import MARCH, compute, meals_march, phones_march
from tests.helpers import make_user


async def charts_drawn(page: Page) -> int:
    """How many chart images the browser decoded (an SVG it refused has no width)."""
    return int(
        await page.evaluate(
            "Array.from(document.querySelectorAll('.situation-chart img'))"
            ".filter(img => img.complete && img.naturalWidth > 0).length"
        )
    )


async def test_leader_opens_the_picture_switches_area_and_period_and_follows_a_figure(
    page: Page, live_server: str, runtime: Runtime
) -> None:
    await meals_march()
    await phones_march()
    await compute(runtime, MARCH)
    await browser_sign_in(page, live_server, await make_user("leader", "meal_coordinator"))

    await page.click("nav a[href='/situation']")
    await page.wait_for_selector("h1:has-text('Tilannekuva')")
    await assert_accessible(page)

    await page.fill("#f-start", "3/2026")
    await page.fill("#f-end", "3/2026")
    await page.select_option("#f-municipality", "Seinäjoki")
    await page.click("form.situation-filter >> nth=0 >> button[type=submit]")
    await page.wait_for_selector("p.situation-scope:has-text('Seinäjoki, 3/2026')")
    row = page.locator("tr", has=page.locator("th[scope=row]:has-text('Avatut ateriapalvelut')"))
    assert (await row.locator("td").first.inner_text()).strip() == "3"
    # the lists behind a municipality's figures are narrowed to it
    deviations = "/meals/reports/deviations?month=2026-03&municipality=Sein%C3%A4joki"
    assert await row.locator("a").get_attribute("href") == deviations
    customers = page.locator("a:has-text('Ateriapalvelun asiakkaat')")
    assert (
        await customers.get_attribute("href")
        == "/meals/services?month=2026-03&municipality=Sein%C3%A4joki"
    )
    await page.wait_for_load_state("networkidle")
    assert await charts_drawn(page) == await page.locator(".situation-chart img").count() >= 2
    await assert_accessible(page)

    await page.select_option("#f-municipality", "")
    await page.click("form.situation-filter >> nth=0 >> button[type=submit]")
    await page.wait_for_selector("#chart-municipalities")  # the split by municipality
    await page.wait_for_load_state("networkidle")
    assert await charts_drawn(page) == await page.locator(".situation-chart img").count()
    await assert_accessible(page)

    await page.click("a:has-text('Avatut ateriapalvelut')")
    await page.wait_for_url(f"{live_server}/meals/reports/deviations?month=2026-03")
    assert await page.locator("h1").count() == 1
