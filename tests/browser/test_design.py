"""Every main page in real Chromium at 1366 px and 360 px, in the default and the high-contrast
theme: no horizontal overflow of the page and no serious or critical axe-core violation.

With VALVOMO_SCREENSHOTS=1 the default-theme runs also save the screenshot gallery shown by
docs/screenshots.md (staff at desktop and phone width, citizens at phone width).
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page

from core.customers.tables import Customer
from core.demo import load_demo
from core.web.runtime import Runtime
from plugins.booking import links
from plugins.meals.tables import MealService
from plugins.security_phones.tables import PhoneService
from tests.browser.helpers import (
    GALLERY,
    SAVE_SCREENSHOTS,
    assert_fits,
    axe_clean,
    browser_sign_in,
    save_screenshot,
)
from tests.helpers import make_user
from tests.plugins.booking.setup_data import coming_booking

WIDTHS = {"desktop": (1366, 900), "phone": (360, 740)}


async def staff_pages() -> dict[str, str]:
    """The pages staff work on, by a short name (the screenshot's file name)."""
    meal = await MealService.select(MealService.id, MealService.customer).first()
    phone = await PhoneService.select(PhoneService.customer).first()
    customer = await Customer.select(Customer.id).where(Customer.id == meal["customer"]).first()
    return {
        "dashboard": "/",
        "customers": "/customers",
        "customer": f"/customers/{customer['id']}",
        "customer-edit": f"/customers/{customer['id']}/edit",
        "meal-services": "/meals/services",
        "meal-service": f"/meals/services/{meal['id']}",
        "meal-exception": f"/meals/services/{meal['id']}/exception",
        "meal-diet": f"/meals/services/{meal['id']}/diet",
        "meal-lists": "/meals/lists",
        "kitchens": "/meals/kitchens",
        "meal-billing-report": "/meals/reports/billing",
        "phone-devices": "/security-phones/devices",
        "phone-customer": f"/security-phones/customers/{phone['customer']}/",
        "alarms": "/security-phones/alarms",
        "booking-calendar": "/booking",
        "booking-setup": "/booking/setup",
        "billing": "/billing",
        "messages": "/notifications",
        "reports": "/reports",
        "proxies": f"/customers/{customer['id']}/proxies",
        "users": "/admin/users",
        "roles": "/admin/roles",
        "second-factor": "/account/second-factor",
    }


async def citizen_pages(runtime: Runtime) -> dict[str, str]:
    booking = await coming_booking()
    token = links.sign(runtime.settings.secret, booking["id"], booking["starts_at"])
    return {"booking-start": "/book/", "booking-manage": f"/book/manage/{token}"}


async def check(page: Page, base: str, path: str, width: str, shot: str | None) -> None:
    viewport = WIDTHS[width]
    await page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    response = await page.goto(f"{base}{path}")
    assert response is not None and response.status == 200, f"{path}: {response}"
    await assert_fits(page, viewport[0])
    await axe_clean(page)
    if shot and SAVE_SCREENSHOTS:
        await save_screenshot(page, shot, viewport[0])


@pytest.fixture(scope="module", autouse=True)
def fresh_gallery() -> None:
    """A regeneration rewrites the whole gallery, so no stale picture stays or counts."""
    if SAVE_SCREENSHOTS:
        for old in [*GALLERY.glob("*.png"), *GALLERY.glob("*.jpg")]:
            old.unlink()


@pytest.fixture
async def demo(runtime: Runtime) -> None:
    await load_demo(runtime, customers=20)


@pytest.mark.parametrize("theme", ["default", "high_contrast"])
async def test_staff_pages_fit_phones_and_pass_axe(
    page: Page,
    live_server: str,
    high_contrast_server: str,
    demo: None,
    runtime: Runtime,
    theme: str,
) -> None:
    base = live_server if theme == "default" else high_contrast_server
    username = await make_user(*(role.code for role in runtime.roles))
    await browser_sign_in(page, base, username)
    for name, path in (await staff_pages()).items():
        for width in WIDTHS:
            shot = f"staff-{width}-{name}" if theme == "default" else None
            await check(page, base, path, width, shot)


async def test_citizen_pages_fit_phones_and_pass_axe(
    page: Page, live_server: str, high_contrast_server: str, demo: None, runtime: Runtime
) -> None:
    for name, path in (await citizen_pages(runtime)).items():
        for base in (live_server, high_contrast_server):
            for width in WIDTHS:
                shot = f"citizen-{width}-{name}" if base == live_server else None
                await check(page, base, path, width, shot if width == "phone" else None)
        html = await page.content()
        assert "Valvomo" not in re.sub(r"<script.*?</script>", "", html, flags=re.S)


async def test_narrow_navigation_opens_without_javascript(
    page_without_js: Page, live_server: str, demo: None
) -> None:
    page = page_without_js
    username = await make_user("admin", "client_guidance")
    await page.set_viewport_size({"width": 360, "height": 740})
    await browser_sign_in(page, live_server, username)
    assert not await page.locator(".site-nav--wide").is_visible()
    await page.click(".site-nav--narrow summary")
    await page.click(".site-nav--narrow a[href='/customers']")
    await page.wait_for_url(f"{live_server}/customers")


async def test_focus_moves_to_the_error_summary(page: Page, live_server: str) -> None:
    username = await make_user("admin", "client_guidance")
    await browser_sign_in(page, live_server, username)
    await page.goto(f"{live_server}/customers/new")
    await page.click("main button[type=submit]")
    await page.wait_for_selector(".error-summary")
    focused = await page.evaluate("document.activeElement.className")
    assert focused == "error-summary"


async def test_wide_navigation_is_one_line_for_a_user_with_every_role(
    page_without_js: Page, live_server: str, demo: None, runtime: Runtime
) -> None:
    """At 1366 px the whole menu of a user holding every role fits one line; the administration
    pages sit in a menu of their own that opens without JavaScript."""
    page = page_without_js
    username = await make_user(*(role.code for role in runtime.roles))
    await page.set_viewport_size({"width": 1366, "height": 900})
    await browser_sign_in(page, live_server, username)
    tops = await page.evaluate(
        """() => [...document.querySelectorAll('.site-nav--wide .nav > li')]
                 .map(li => Math.round(li.getBoundingClientRect().top))"""
    )
    assert len(tops) > 5 and len(set(tops)) == 1, f"menu rows start at {sorted(set(tops))} px"
    await page.click(".site-nav--wide .nav-group summary")
    await page.click(".site-nav--wide .nav-group a[href='/admin/users']")
    await page.wait_for_url(f"{live_server}/admin/users")
    assert await page.locator(".site-nav--wide .nav-group summary[aria-current]").count()
