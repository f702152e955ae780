"""Public booking and cancellation in real Chromium: phone and desktop width, JavaScript on and
off, axe-core on every page of the way."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from plugins.booking.tables import Booking
from tests.browser.helpers import assert_accessible
from tests.plugins.booking.setup_data import create_setup

WIDTHS = {"phone": (360, 740), "desktop": (1280, 900)}


async def check_accessible(page: Page, javascript: bool) -> None:
    """axe-core runs as page script, so it checks the pages of the JavaScript runs; the
    server sends the same markup with JavaScript off."""
    if javascript:
        await assert_accessible(page)


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_public_booking_and_cancellation(
    page: Page, page_without_js: Page, live_server: str, width: str, javascript: bool
) -> None:
    page = page if javascript else page_without_js
    viewport_width, viewport_height = WIDTHS[width]
    await page.set_viewport_size({"width": viewport_width, "height": viewport_height})
    await create_setup()

    await page.goto(f"{live_server}/book/")
    await check_accessible(page, javascript)
    await page.check("#mode-office")
    await page.click("main button[type=submit]")
    await page.wait_for_selector("input[name=slot]")
    await check_accessible(page, javascript)

    await page.click("main button[type=submit]")
    await page.wait_for_selector("#f-name")
    await check_accessible(page, javascript)
    await page.click("main button[type=submit]")  # nothing filled in: messages by the fields
    await page.wait_for_selector("#f-name-error")
    await check_accessible(page, javascript)
    await page.fill("#f-description", "Kysymyksiä kotona pärjäämisestä")
    await page.fill("#f-name", "Aino Asiakas")
    await page.fill("#f-phone", "040 123 4567")
    await page.click("main button[type=submit]")
    await page.wait_for_selector(".notice[role=status]")
    assert "/book/manage/" in page.url
    await check_accessible(page, javascript)
    assert await page.locator("a[href$='appointment.ics']").count() == 1
    assert (await Booking.select(Booking.status).first())["status"] == "booked"

    await page.click("main form button[type=submit]")
    await page.wait_for_selector("a[href='/book/']")
    await check_accessible(page, javascript)
    assert (await Booking.select(Booking.status).first())["status"] == "cancelled"
    if javascript:
        scroll_width = await page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= viewport_width  # no sideways scrolling on a phone
