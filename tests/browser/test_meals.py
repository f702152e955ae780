"""Meals in real Chromium: opening → completion → pause → reactivation → ending → decision, the
kitchen's lists and a biller's export, with axe-core on every role's pages."""

from __future__ import annotations

from playwright.async_api import Page

from core.db import transaction
from plugins.meals.scope import bind_user
from plugins.meals.tables import MealService
from tests.browser.helpers import assert_accessible, browser_sign_in
from tests.helpers import SYSTEM, make_user
from tests.plugins.meals.conftest import new_customer, new_region


async def switch_user(page: Page, live_server: str, *roles: str) -> None:
    await page.context.clear_cookies()
    await browser_sign_in(page, live_server, await make_user(*roles))


async def submit(page: Page) -> None:
    await page.click("main form button[type=submit] >> nth=-1")
    await page.wait_for_load_state()


async def status_of(service_id: int) -> str:
    row = await MealService.select(MealService.status).where(MealService.id == service_id).first()
    return str(row["status"])


async def test_meal_service_lifecycle_lists_and_billing(page: Page, live_server: str) -> None:
    region = await new_region()
    customer = await new_customer()

    await switch_user(page, live_server, "client_guidance")
    await page.goto(f"{live_server}/customers/{customer}")
    await page.click(f"a[href='/meals/customers/{customer}/open']")
    await assert_accessible(page)
    await page.fill("#f-start_date", "2026-03-02")
    await page.check("#f-diets-soft")
    await page.fill("#f-requested_meals", "Lounas joka päivä")
    await page.fill("#f-decided_on", "20.2.2026")
    await page.fill("#f-decision_maker", "Sosiaaliohjaaja Laine")
    await page.fill("#f-basis", "Palvelutarpeen arviointi")
    await submit(page)
    service_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert await status_of(service_id) == "opening_requested"

    await switch_user(page, live_server, "meal_coordinator")
    await page.goto(f"{live_server}/meals/services/{service_id}/complete")
    await assert_accessible(page)
    await page.select_option("#f-kitchen", str(region.kitchen))
    await page.select_option("#f-route", str(region.route))
    for weekday in range(7):
        await page.fill(f"#f-qty_{weekday}_lunch", "1")
        await page.select_option(f"#f-delivery_{weekday}", "0" if weekday < 3 else "3")
    await submit(page)
    assert await status_of(service_id) == "active"
    await assert_accessible(page)

    await page.goto(f"{live_server}/meals/services/{service_id}/pause")
    await page.fill("#f-start_date", "2026-03-10")
    await page.fill("#f-reason", "Sairaalajakso")
    await submit(page)
    assert await status_of(service_id) == "paused"
    await page.goto(f"{live_server}/meals/services/{service_id}/reactivate")
    await page.fill("#f-resume_date", "2026-03-16")
    await submit(page)
    assert await status_of(service_id) == "active"
    await page.goto(f"{live_server}/meals/services/{service_id}/end")
    await page.fill("#f-end_date", "2026-03-31")
    await page.fill("#f-ending_reason", "Muutti palvelutaloon")
    await submit(page)
    assert await status_of(service_id) == "ending_requested"
    for path in ("/meals/services", "/meals/kitchens/", "/"):
        await page.goto(f"{live_server}{path}")
        await assert_accessible(page)

    await switch_user(page, live_server, "client_guidance")
    await page.goto(f"{live_server}/meals/services/{service_id}/decide")
    await assert_accessible(page)
    await page.fill("#f-decision_maker", "Sosiaaliohjaaja Laine")
    await page.fill("#f-basis", "Muutti palvelutaloon")
    await submit(page)
    assert await status_of(service_id) == "ended"

    await page.context.clear_cookies()
    username = await make_user("kitchen")
    async with transaction():
        await bind_user(SYSTEM, region.kitchen, username)
    await browser_sign_in(page, live_server, username)
    await page.goto(f"{live_server}/meals/lists/")
    await assert_accessible(page)
    await page.goto(f"{live_server}/meals/lists/kitchens/{region.kitchen}?day=2026-03-02")
    assert "3" in await page.locator("tbody").first.inner_text()
    await assert_accessible(page)
    await page.goto(f"{live_server}/meals/lists/routes/{region.route}?day=2026-03-19")
    assert "Kauppatie 1" in await page.locator("tbody").first.inner_text()
    await assert_accessible(page)

    await switch_user(page, live_server, "biller")
    await page.goto(f"{live_server}/meals/reports/billing?month=2026-03")
    await assert_accessible(page)
    await page.click("a[href='/billing/2026/3']")  # one billing export per month, in core
    await page.wait_for_url(f"{live_server}/billing/2026/3")
    async with page.expect_download() as download_info:
        await page.click("a[href='/billing/2026/3/xlsx']")
    download = await download_info.value
    assert download.suggested_filename == "billing-2026-03.xlsx"
    for report in ("deviations", "transport"):
        await page.goto(f"{live_server}/meals/reports/{report}?month=2026-03")
        await assert_accessible(page)
