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


async def test_biller_enters_next_years_price_and_exports(page: Page, live_server: str) -> None:
    await browser_sign_in(page, live_server, await make_user("biller"))
    await page.click("main a[href='/billing/prices']")  # the billing panel of the dashboard
    await page.wait_for_selector("h1:has-text('Hinnat')")
    await assert_accessible(page)
    await page.click("main a[href='/billing/prices/lunch']")
    await page.wait_for_selector("#f-amount")
    await assert_accessible(page)
    await page.fill("#f-amount", "7,20")
    await page.fill("#f-valid_from", "1.1.2027")
    await page.click("main button:has-text('Tallenna hinta')")
    await page.wait_for_selector("div.notice--success")
    assert await page.locator("td:text-is('31.12.2026')").count() == 1
    assert await page.locator("td:text-is('1.1.2027')").count() == 1
    await assert_accessible(page)

    await page.click("nav a[href='/billing']")
    await page.wait_for_selector("h1:has-text('Laskutus')")
    month = page.url.rstrip("/").split("/billing/")[1]
    async with page.expect_download() as download_info:
        await page.click(f"a[href='/billing/{month}/jsonl']")
    download = await download_info.value
    assert download.suggested_filename.endswith(".jsonl")
    await assert_accessible(page)


async def test_biller_changes_a_customers_payer_from_the_customer_page(
    page: Page, live_server: str
) -> None:
    from tests.core.billing.conftest import add_customer

    customer = await add_customer("Aino", "Virtanen")
    await browser_sign_in(page, live_server, await make_user("biller"))
    await page.goto(f"{live_server}/customers/{customer}")
    await page.click(f"main a[href='/billing/customers/{customer}/payers']")
    await page.wait_for_selector("h1:has-text('Maksajat')")
    await assert_accessible(page)
    await page.fill("#f-valid_from", "1.1.2027")
    await page.fill("#f-name", "Laine Liisa")
    await page.click("main button:has-text('Tallenna maksaja')")  # no address
    assert await page.locator("#f-street_address-error").is_visible()
    await assert_accessible(page)
    await page.fill("#f-relationship", "edunvalvoja")
    await page.fill("#f-street_address", "Kirkkotie 2")
    await page.fill("#f-postal_code", "60100")
    await page.fill("#f-post_office", "Seinäjoki")
    await page.click("main button:has-text('Tallenna maksaja')")
    await page.wait_for_selector("div.notice--success")
    assert await page.locator("td:text-is('Laine Liisa')").count() == 1
    await assert_accessible(page)
    # The guardian's period is ended from its own page, after the confirmation page.
    await page.click("main a:has-text('Muuta tai lopeta')")
    await page.wait_for_selector("h1:has-text('Maksajan muutos')")
    await assert_accessible(page)
    await page.fill("#f-last_day", "31.3.2027")
    await page.click("main button:has-text('Lopeta maksaja')")
    await page.wait_for_selector("h1:has-text('Lopetetaanko maksaja?')")
    await assert_accessible(page)
    await page.click("main button:has-text('Lopeta maksaja')")
    await page.wait_for_selector("div.notice--success")
    assert await page.locator("td:text-is('31.3.2027')").count() == 1
    await assert_accessible(page)
