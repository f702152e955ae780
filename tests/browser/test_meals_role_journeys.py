"""One journey per meal-service role in real Chromium: the role signs in and then moves only by
the links and buttons its pages show (`ClicksOnly`: any `page.goto` after signing in fails),
with axe-core on every page, and no link on any page it reaches answers 403 (or 500)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

import pytest
from playwright.async_api import Page

from core.common.clock import today
from core.db import transaction
from plugins.meals import change_reports, services
from plugins.meals.scope import bind_user
from plugins.meals.settings import current
from plugins.meals.tables import MealDietPeriod, MealService
from tests.browser.helpers import DESKTOP, assert_accessible
from tests.browser.test_meals_workday import ClicksOnly, finnish
from tests.helpers import SYSTEM, make_user
from tests.plugins.meals.conftest import (
    OPENING_DECISION,
    Region,
    new_customer,
    new_region,
    version_of,
    weekly_order,
)

SKIPPED_LINKS = ("/logout", "/static/", "/api/")


@dataclass
class Workday:
    region: Region
    customer: int  # "Kivimäki", with an active service
    service: int
    waiting_customer: int  # "Mäkelä", whose opening waits for the coordinator
    waiting_service: int


async def assert_no_forbidden_link(page: Page) -> None:
    """Every link of the page, fetched with the role's session, answers neither 403 nor 500."""
    hrefs = await page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    origin = urlparse(page.url).netloc
    checked = set()
    for href in hrefs:
        url = urljoin(page.url, href).split("#")[0]
        parsed = urlparse(url)
        if parsed.netloc != origin or parsed.path.startswith(SKIPPED_LINKS) or url in checked:
            continue
        checked.add(url)
        response = await page.request.get(url)
        assert response.status not in (403, 500), f"{page.url} links to {url}: {response.status}"
    assert checked, f"no link checked on {page.url}"


class RoleJourney(ClicksOnly):
    """ClicksOnly at 1366 px that also checks each page it reaches: every link answers, and the
    page fits 1366 px and a 360 px phone without scrolling sideways (axe-core at both)."""

    async def sign_in(self, username: str) -> None:
        await self.page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})
        await super().sign_in(username)
        await self._check_page()

    async def click(self, selector: str) -> None:
        await super().click(selector)
        await self._check_page()

    async def _check_page(self) -> None:
        await assert_no_forbidden_link(self.page)
        await assert_accessible(self.page)  # axe, and fits 1366 px and a 360 px phone


@pytest.fixture(params=["default", "high_contrast"])
def server(request: pytest.FixtureRequest, live_server: str, high_contrast_server: str) -> str:
    """Each journey in the default and in the high-contrast theme (one database)."""
    return live_server if request.param == "default" else high_contrast_server


@pytest.fixture
async def workday() -> Workday:
    region = await new_region()
    customer = await new_customer("Kivimäki", phone="+358401234567")
    waiting_customer = await new_customer("Mäkelä")
    start = today() - dt.timedelta(days=14)
    async with transaction():
        service = await services.open_service(
            SYSTEM,
            customer,
            {"start_date": start.isoformat(), "diet": "normal", "requested_meals": "lounas",
             **OPENING_DECISION},
            current(),
        )  # fmt: skip
        await services.complete_opening(
            SYSTEM,
            service,
            1,
            {"kitchen": region.kitchen, "route": region.route, "route_stop": "1",
             **weekly_order()},
            current(),
        )  # fmt: skip
        waiting = await services.open_service(
            SYSTEM,
            waiting_customer,
            {"start_date": today().isoformat(), "diet": "normal", "requested_meals": "lounas",
             **OPENING_DECISION},
            current(),
        )  # fmt: skip
    return Workday(region, customer, service, waiting_customer, waiting)


async def test_coordinator_completes_an_opening_and_changes_diets(
    page: Page, server: str, workday: Workday
) -> None:
    journey = RoleJourney(page, server)
    await journey.sign_in(await make_user("meal_coordinator"))
    await journey.click(f"a[href='/meals/services/{workday.waiting_service}/complete']")
    await page.select_option("#f-kitchen", str(workday.region.kitchen))
    await page.select_option("#f-route", str(workday.region.route))
    for weekday in range(7):
        await page.fill(f"#f-qty_{weekday}_lunch", "1")
    await journey.submit()
    assert await page.locator("[role=status]").count() == 1

    await journey.click("nav.site-nav--wide a[href='/meals/services']")
    await page.fill("#f-q", "kivim")
    await journey.click(".search-form button[type=submit] >> nth=0")
    await journey.click(f"a[href='/meals/services/{workday.service}/diet']")
    from_day = today() + dt.timedelta(days=3)
    await page.fill("#f-valid_from", finnish(from_day))
    await page.check("#f-diets-gluten_free")
    await page.check("#f-allergies-fish")
    await page.select_option("#f-texture", "pureed")
    await journey.submit()
    assert await page.locator("[role=status]").count() == 1
    period = await MealDietPeriod.select().first()
    assert period["valid_from"] == from_day and period["allergies"] == "fish"
    assert finnish(from_day) in await page.locator("main").inner_text()


async def test_client_guidance_requests_an_opening_and_decides_an_ending(
    page: Page, server: str, workday: Workday
) -> None:
    newcomer = await new_customer("Lehtonen")
    async with transaction():
        await services.request_ending(
            SYSTEM,
            workday.service,
            await version_of(workday.service),
            {"end_date": (today() + dt.timedelta(days=30)).isoformat(), "ending_reason": "muutto"},
        )
    journey = RoleJourney(page, server)
    await journey.sign_in(await make_user("client_guidance"))
    await journey.search_header("Lehtonen")
    await journey.click(f"a[href='/meals/customers/{newcomer}/open']")
    await page.fill("#f-start_date", finnish(today() + dt.timedelta(days=7)))
    await page.fill("#f-requested_meals", "Lounas arkisin")
    await page.fill("#f-decided_on", finnish(today()))
    await page.fill("#f-decision_maker", "Sosiaaliohjaaja Laine")
    await page.fill("#f-basis", "Palvelutarpeen arviointi")
    await journey.submit()
    assert await page.locator("[role=status]").count() == 1

    await journey.click("nav.site-nav--wide a[href='/']")
    await journey.click(f"a[href='/meals/services/{workday.service}/decide']")
    await page.fill("#f-decision_maker", "Sosiaaliohjaaja Laine")
    await page.fill("#f-basis", "Asiakas muuttaa palvelutaloon")
    await journey.submit()
    assert await page.locator("[role=status]").count() == 1
    ended = await MealService.select().where(MealService.id == workday.service).first()
    assert ended["status"] == "ended"


async def test_home_care_reports_a_hospital_stay(page: Page, server: str, workday: Workday) -> None:
    journey = RoleJourney(page, server)
    await journey.sign_in(await make_user("home_care"))
    await journey.search_header("Kivimäki")
    await journey.click(f"a[href='/meals/services/{workday.service}']")
    await journey.click(f"a[href='/meals/services/{workday.service}/report']")
    await page.select_option("#f-kind", "absence")
    await page.fill("#f-start_date", finnish(today() + dt.timedelta(days=5)))
    await page.fill("#f-end_date", finnish(today() + dt.timedelta(days=9)))
    await page.select_option("#f-channel", "phone")
    await journey.submit()
    assert await page.locator("[role=status]").count() == 1
    assert len(await change_reports.reports_of(workday.service)) == 1


async def test_kitchen_prints_all_its_lists_with_the_diets_of_the_day(
    page: Page, server: str, workday: Workday
) -> None:
    kitchen_user = await make_user("kitchen")
    async with transaction():
        await bind_user(SYSTEM, workday.region.kitchen, kitchen_user)
        await MealDietPeriod.insert(
            MealDietPeriod(
                service=workday.service,
                valid_from=today() - dt.timedelta(days=1),
                diets="gluten_free",
                allergies="fish",
                texture="pureed",
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    journey = RoleJourney(page, server)
    await journey.sign_in(kitchen_user)
    await journey.click(f"a[href^='/meals/lists/kitchens/{workday.region.kitchen}/print']")
    printout = await page.locator("main").inner_text()
    assert "Kivimäki" in printout and "Reitti 1" in printout
    assert current().diet_label("gluten_free|fish|pureed") in printout
    await journey.click("nav.site-nav--wide a[href='/meals/lists']")


async def test_biller_finds_the_service_in_the_months_billing(
    page: Page, server: str, workday: Workday
) -> None:
    journey = RoleJourney(page, server)
    await journey.sign_in(await make_user("biller"))
    await journey.click("nav.site-nav--wide a[href='/reports']")
    await journey.click("a[href='/meals/reports/billing']")
    assert "Kivimäki" in await page.locator("main").inner_text()
    await journey.click("nav.site-nav--wide a[href='/billing']")
