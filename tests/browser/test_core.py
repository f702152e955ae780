"""Core in real Chromium: sign in, create and edit a customer, a conflict, sign out, axe-core."""

from __future__ import annotations

from playwright.async_api import Browser, Page

from tests.browser.helpers import assert_accessible, browser_sign_in
from tests.core.test_customers import valid_code
from tests.helpers import make_user


async def fill_customer(page: Page, last_name: str) -> None:
    await page.fill("#f-identity_code", valid_code())
    await page.fill("#f-last_name", last_name)
    await page.fill("#f-first_name", "Aino")
    await page.fill("#f-street_address", "Koulutie 5")
    await page.fill("#f-postal_code", "60100")
    await page.select_option("#f-municipality", "Seinäjoki")
    await page.fill("#f-phone", "040 123 4567")


async def test_customer_life_in_the_browser(browser: Browser, page: Page, live_server: str) -> None:
    username = await make_user("admin", "client_guidance")
    await page.goto(f"{live_server}/login")
    await assert_accessible(page)
    await browser_sign_in(page, live_server, username)
    await assert_accessible(page)

    await page.goto(f"{live_server}/customers/new")
    await fill_customer(page, "")
    await page.click("main button[type=submit]")
    assert await page.locator("#f-last_name-error").is_visible()
    await assert_accessible(page)

    await page.fill("#f-last_name", "Virtanen")
    await page.click("main button[type=submit]")
    await page.wait_for_selector("h1:has-text('Virtanen Aino')")
    customer_url = page.url
    await assert_accessible(page)

    # Two tabs edit the same customer; the second save meets the first one's change.
    other = await page.context.new_page()
    await page.goto(f"{customer_url}/edit")
    await other.goto(f"{customer_url}/edit")
    await other.fill("#f-phone", "040 111 1111")
    await other.click("main button[type=submit]")
    await other.wait_for_url(customer_url)
    await page.fill("#f-phone", "040 222 2222")
    await page.click("main button[type=submit]")
    conflict = page.locator("table.conflict")
    assert "+358401111111" in await conflict.inner_text()
    assert "+358402222222" in await conflict.inner_text()
    await assert_accessible(page)
    await page.click("text=Tallenna omat arvoni tallennettujen päälle")
    await page.wait_for_url(customer_url)
    assert "040 222 2222" in await page.locator("dl.summary-list").inner_text()

    await page.click("header form.logout button[type=submit]")
    await page.wait_for_url(f"{live_server}/login")
    await page.goto(customer_url)
    assert "/login" in page.url


async def test_pages_work_without_javascript(page_without_js: Page, live_server: str) -> None:
    username = await make_user("admin", "client_guidance")
    await browser_sign_in(page_without_js, live_server, username)
    await page_without_js.goto(f"{live_server}/customers")
    await page_without_js.fill("#f-q", "ei ketään")
    await page_without_js.click("form.search button[type=submit]")
    await page_without_js.wait_for_url(f"{live_server}/customers/search")
    assert "ei ketään" in await page_without_js.input_value("#f-q")
