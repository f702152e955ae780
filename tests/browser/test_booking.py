"""Booking in real Chromium: public booking and cancellation at phone and desktop width, JavaScript
on and off, axe-core on every page of the way; axe-core on the staff pages too."""

from __future__ import annotations

import random

import pytest
from playwright.async_api import Page

from core.customers.tables import Customer
from core.db import insert_objects, transaction
from core.demo import customer_rows
from plugins.booking.tables import Booking
from tests.browser.helpers import assert_accessible, browser_sign_in
from tests.helpers import make_user
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


async def test_staff_booking_pages_are_accessible(page: Page, live_server: str) -> None:
    setup = await create_setup()
    async with transaction():
        customer_id = (
            await insert_objects(Customer, customer_rows(random.Random(3), 1, ("Lapua",)))
        )[0]
    await browser_sign_in(page, live_server, await make_user("admin"))
    for path in (
        "/booking",
        "/booking?view=day",
        "/booking/openings",
        "/booking/setup",
        f"/booking/setup/types/{setup.advice_type_id}",
        f"/booking/customers/{customer_id}?type_id={setup.advice_type_id}",
        "/book/right?code=WRONG",
    ):
        response = await page.goto(f"{live_server}{path}")
        assert response is not None and response.status in (200, 400), path
        await assert_accessible(page)
