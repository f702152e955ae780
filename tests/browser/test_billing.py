"""Core billing in real Chromium: month picker, exports, closing with confirmation, axe-core."""

from __future__ import annotations

from playwright.async_api import Page

from tests.browser.helpers import assert_accessible, browser_sign_in
from tests.helpers import make_user


async def test_biller_picks_a_month_exports_and_closes_it(page: Page, live_server: str) -> None:
    await browser_sign_in(page, live_server, await make_user("biller"))
    await page.click("nav a[href='/billing']")
    await page.wait_for_selector("h1:has-text('Laskutus')")
    await assert_accessible(page)

    await page.fill("#f-month", "2025-01")
    await page.click("form.search button[type=submit]")
    await page.wait_for_url(f"{live_server}/billing/2025/1")
    await assert_accessible(page)

    async with page.expect_download() as download_info:
        await page.click("a[href='/billing/2025/1/csv']")
    download = await download_info.value
    assert download.suggested_filename == "billing-2025-01.csv"

    await page.click("a[href='/billing/2025/1/close']")
    await page.click("main form button[type=submit]")  # without ticking the confirmation
    assert await page.locator("#f-confirm-error").is_visible()
    await assert_accessible(page)
    await page.check("#f-confirm")
    await page.click("main form button[type=submit]")
    await page.wait_for_url(f"{live_server}/billing/2025/1")
    assert await page.locator("p.status-closed").is_visible()
    assert await page.locator("a[href='/billing/2025/1/close']").count() == 0
    await assert_accessible(page)


async def test_month_picker_works_without_javascript(
    page_without_js: Page, live_server: str
) -> None:
    await browser_sign_in(page_without_js, live_server, await make_user("admin"))
    await page_without_js.goto(f"{live_server}/billing/2025/3")
    await page_without_js.fill("#f-month", "2025-02")
    await page_without_js.click("form.search button[type=submit]")
    await page_without_js.wait_for_url(f"{live_server}/billing/2025/2")
