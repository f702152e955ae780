"""The coordinator keeps the region's allergies from her dashboard by clicks only, and client
guidance opens a service with several diets, an allergy and a texture that the service page
and the kitchen's delivery list then show by name (real Chromium, axe-core on every page)."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Page

from core.common.clock import today
from core.db import transaction
from plugins.meals.scope import bind_user
from plugins.meals.settings import current
from plugins.meals.tables import MealCode, MealService
from tests.browser.test_meals_workday import ClicksOnly, finnish
from tests.helpers import SYSTEM, make_user
from tests.plugins.meals.conftest import new_customer, new_region


async def test_coordinator_keeps_the_lists_and_an_opening_takes_several(
    page: Page, live_server: str
) -> None:
    region = await new_region()
    customer = await new_customer("Allerginen")
    users = {role: await make_user(role) for role in
             ("meal_coordinator", "client_guidance", "kitchen")}  # fmt: skip
    async with transaction():
        await bind_user(SYSTEM, region.kitchen, users["kitchen"])
    browser = ClicksOnly(page, live_server)

    # The coordinator adds an allergy, renames it, and retires an unused one, asked first
    await browser.sign_in(users["meal_coordinator"])
    await browser.click("main a[href='/meals/codes']")
    await browser.click("a[href='/meals/codes/allergies']")
    await page.fill("#f-label", "Seesaminsiemen")
    await browser.submit()
    assert await page.locator("[role=status]").count() == 1
    await browser.click("a[href='/meals/codes/allergies/seesaminsiemen']")
    await page.fill("#f-label", "Seesami")
    await page.fill("#f-label_sv", "Sesam")  # the name Swedish pages show
    await browser.click("main form button[type=submit] >> nth=0")
    table = await page.locator("main table").inner_text()
    assert "Seesami" in table and "Sesam" in table
    await browser.click("a[href='/meals/codes/allergies/celery']")
    await browser.submit()  # "Retire" asks first
    await browser.click("main form button[type=submit] >> nth=-1")
    assert await page.locator("[role=status]").count() == 1
    celery = await MealCode.select().where(MealCode.code == "celery").first()
    assert celery["retired"] is True

    # Client guidance opens a service with two diets, the new allergy and puréed texture
    start = today() - dt.timedelta(days=7)
    await browser.sign_in(users["client_guidance"])
    await browser.search_header("Allerginen")
    await browser.click(f"a[href='/meals/customers/{customer}/open']")
    assert await page.locator("#f-allergies-celery").count() == 0  # retired: not offered
    await page.fill("#f-start_date", finnish(start))
    await page.check("#f-diets-lactose_free")
    await page.check("#f-diets-gluten_free")
    await page.check("#f-allergies-seesaminsiemen")
    await page.select_option("#f-texture", "pureed")
    await page.fill("#f-requested_meals", "Lounas joka päivä")
    await page.fill("#f-decided_on", finnish(start - dt.timedelta(days=3)))
    await page.fill("#f-decision_maker", "Sosiaaliohjaaja Laine")
    await page.fill("#f-basis", "Palvelutarpeen arviointi")
    await browser.submit()
    settings = current()
    facts = await page.locator("main dl.facts").inner_text()
    for name in (settings.diets["lactose_free"], settings.diets["gluten_free"], "Seesami",
                 settings.textures["pureed"]):  # fmt: skip
        assert name in facts, facts
    service_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    # The coordinator completes it from her dashboard; the kitchen's print-out names the diets
    await browser.sign_in(users["meal_coordinator"])
    await browser.click(f"a[href='/meals/services/{service_id}/complete']")
    await page.select_option("#f-kitchen", str(region.kitchen))
    await page.select_option("#f-route", str(region.route))
    for weekday in range(7):
        await page.fill(f"#f-qty_{weekday}_lunch", "1")
        await page.select_option(f"#f-delivery_{weekday}", "0" if weekday < 3 else "3")
    await browser.submit()
    assert (await MealService.select().first())["status"] == "active"
    await browser.sign_in(users["kitchen"])
    await browser.click(f"a[href^='/meals/lists/kitchens/{region.kitchen}/print']")
    printout = await page.locator("main").inner_text()
    assert "Allerginen" in printout and "Seesami" in printout
    assert settings.textures["pureed"] in printout
