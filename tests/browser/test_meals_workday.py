"""The meal-service workday in real Chromium: each role signs in and then moves only by the
links and buttons its pages show (any `page.goto` after signing in fails the test), with
axe-core on every page it reaches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page

from core.common.clock import today
from core.db import transaction
from core.notifications.tables import OutboxMessage
from plugins.meals.scope import bind_user
from plugins.meals.tables import MealChangeReport, MealDecision, MealPause, MealService
from tests.browser.helpers import assert_accessible, browser_sign_in
from tests.helpers import SYSTEM, make_user
from tests.plugins.meals.conftest import new_customer, new_region


class ClicksOnly:
    """Signs a role in, then forbids `page.goto`: from there on only clicks move the page."""

    def __init__(self, page: Page, live_server: str) -> None:
        self.page = page
        self.live_server = live_server
        self._goto: Callable[..., Awaitable[Any]] = page.goto

    async def sign_in(self, username: str) -> None:
        await self.page.context.clear_cookies()
        self.page.goto = self._goto  # type: ignore[method-assign]
        await browser_sign_in(self.page, self.live_server, username)
        self.page.goto = self._forbidden  # type: ignore[method-assign]
        await assert_accessible(self.page)

    async def _forbidden(self, url: str, **_: Any) -> None:
        raise AssertionError(f"page.goto({url!r}) after signing in: users move by clicking")

    async def click(self, selector: str) -> None:
        await self.page.click(selector)
        await self.page.wait_for_load_state()
        assert "403" not in await self.page.title(), self.page.url
        await assert_accessible(self.page)

    async def submit(self) -> None:
        await self.click("main form button[type=submit] >> nth=-1")

    async def search_header(self, text: str) -> None:
        await self.page.fill("#header-q", text)
        await self.click(".header-search button[type=submit]")


def finnish(day: dt.date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


async def test_meal_service_workday_by_clicks(page: Page, live_server: str) -> None:
    region = await new_region()
    customer = await new_customer("Kivimäki", phone="+358401234567", language="sv")
    users = {role: await make_user(role) for role in
             ("client_guidance", "meal_coordinator", "home_care", "kitchen", "biller")}  # fmt: skip
    async with transaction():
        await bind_user(SYSTEM, region.kitchen, users["kitchen"])
    start = today() - dt.timedelta(days=7)
    browser = ClicksOnly(page, live_server)

    # Client guidance requests a service: header search → customer page → opening form
    await browser.sign_in(users["client_guidance"])
    await browser.search_header("Kivimäki")
    await browser.click(f"a[href='/meals/customers/{customer}/open']")
    await page.fill("#f-start_date", finnish(start))
    await page.fill("#f-requested_meals", "Lounas joka päivä")
    await page.fill("#f-decided_on", finnish(start - dt.timedelta(days=3)))
    await page.fill("#f-decision_maker", "Sosiaaliohjaaja Laine")
    await page.fill("#f-basis", "Palvelutarpeen arviointi")
    await browser.submit()
    service_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert await page.locator("[role=status]").count() == 1  # "sent to the coordinator"

    # The coordinator finds it on her dashboard and completes it
    await browser.sign_in(users["meal_coordinator"])
    await browser.click(f"a[href='/meals/services/{service_id}/complete']")
    await page.select_option("#f-kitchen", str(region.kitchen))
    await page.select_option("#f-route", str(region.route))
    for weekday in range(7):
        await page.fill(f"#f-qty_{weekday}_lunch", "1")
        await page.select_option(f"#f-delivery_{weekday}", "0" if weekday < 3 else "3")
    await browser.submit()
    assert (await MealService.select().first())["status"] == "active"

    # A relative calls: she finds the customer by name from the services list, adds an exception
    await browser.click("nav.site-nav--wide a[href='/meals/services']")
    await page.fill("#f-q", "kivim")
    await browser.click(".search-form button[type=submit] >> nth=0")
    assert page.url.endswith(f"/meals/services/{service_id}")
    await browser.click(f"a[href='/meals/services/{service_id}/exception']")
    await page.fill("#f-day", finnish(next_weekday(today() + dt.timedelta(days=1), 0)))
    await page.select_option("#f-kind", "cancel")
    await browser.submit()
    assert await page.locator("[role=status]").count() == 1

    # Home care reports a hospital stay
    absence = (today() + dt.timedelta(days=20), today() + dt.timedelta(days=26))
    await browser.sign_in(users["home_care"])
    await browser.search_header("Kivimäki")
    await browser.click(f"a[href='/meals/services/{service_id}']")
    await browser.click(f"a[href='/meals/services/{service_id}/report']")
    await page.select_option("#f-kind", "absence")
    await page.fill("#f-start_date", finnish(absence[0]))
    await page.fill("#f-end_date", finnish(absence[1]))
    await page.fill("#f-details", "Seinäjoen keskussairaala")
    await page.select_option("#f-channel", "visit")
    await browser.submit()
    report = await MealChangeReport.select().first()

    # The coordinator turns the report into a pause from her inbox
    await browser.sign_in(users["meal_coordinator"])
    await browser.click(f"a[href='/meals/services/{service_id}/reports/{report['id']}']")
    await browser.click(f"a[href='/meals/services/{service_id}/pause?report={report['id']}']")
    await browser.submit()
    pause = await MealPause.select().first()
    assert (pause["start_date"], pause["end_date"]) == absence
    # … and later ends the service, which goes to client guidance for the decision
    last_day = today() + dt.timedelta(days=40)
    await browser.click(f"a[href='/meals/services/{service_id}/end']")
    await page.fill("#f-end_date", finnish(last_day))
    await page.fill("#f-ending_reason", "Muuttaa palvelutaloon")
    await browser.submit()

    # Client guidance decides the ending; the customer's notice is queued in Swedish
    await browser.sign_in(users["client_guidance"])
    await browser.click(f"a[href='/meals/services/{service_id}/decide']")
    await page.fill("#f-decision_maker", "Sosiaaliohjaaja Laine")
    await page.fill("#f-basis", "Asiakas muuttaa palvelutaloon")
    await browser.submit()
    assert finnish(last_day) in await page.locator("main").inner_text()
    decision = await MealDecision.select().where(MealDecision.kind == "ending").first()
    notice = (
        await OutboxMessage.select()
        .where(OutboxMessage.reference == f"meals:decision:{decision['id']}")
        .first()
    )
    assert "måltidsservice" in notice["body"]

    # The kitchen prints all its lists for the next delivery day and sees the customer
    await browser.sign_in(users["kitchen"])
    await browser.click(f"a[href^='/meals/lists/kitchens/{region.kitchen}/print']")
    printout = await page.locator("main").inner_text()
    assert "Kivimäki" in printout and "Reitti 1" in printout

    # The biller sees the service in the month's billing
    await browser.sign_in(users["biller"])
    await browser.click("nav.site-nav--wide a[href='/reports']")
    await browser.click("a[href='/meals/reports/billing']")
    assert "Kivimäki" in await page.locator("main").inner_text()


def next_weekday(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)
