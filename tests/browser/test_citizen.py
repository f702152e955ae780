"""A customer at 360 px in Chromium: identifies through the local broker, reports an absence,
sees it, reads their access log; a relative does the same for them; a customer books and
cancels an appointment and reads their decisions. axe-core on every page."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from core.common.clock import now
from core.i18n import fmt_date
from core.web.runtime import Runtime
from plugins.booking.tables import Booking
from plugins.meals.absences import first_open_day
from plugins.meals.settings import current
from tests.browser.helpers import SAVE_SCREENSHOTS, assert_accessible, save_screenshot
from tests.browser.serve_test_app import BROKER_VARIABLE
from tests.citizens import customer_with_code, new_identity_code, person_at_broker, record_right
from tests.conftest import serve_in_process
from tests.helpers import make_user, sign_in
from tests.oidc_provider import Provider
from tests.plugins.booking.setup_data import create_setup
from tests.plugins.meals.conftest import active_service, new_region

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def citizen_server(
    runtime: Runtime, oidc_provider: Provider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app served with the local provider as the citizens' identification broker."""
    env = {BROKER_VARIABLE: oidc_provider.issuer}
    yield from serve_in_process(runtime, tmp_path_factory.mktemp("live-citizen"), env=env)


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(
        viewport=PHONE, locale="fi-FI", timezone_id="Europe/Helsinki"
    )
    yield await context.new_page()
    await context.close()


async def fits_the_screen(page: Page, shot: str = "") -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width}px"
    await assert_accessible(page)
    if shot and SAVE_SCREENSHOTS:
        await save_screenshot(page, f"citizen-phone-{shot}", PHONE["width"])


async def identify_in_browser(page: Page, server: str, sub: str) -> None:
    await page.goto(f"{server}/oma")
    await page.wait_for_url(f"{server}/oma/login")
    await fits_the_screen(page, "oma-sign-in")
    await page.click("text=Tunnistaudu: Suomi.fi")
    await page.fill("input[name=sub]", sub)  # the broker's own sign-in form
    await page.click("button:has-text('Authorize')")


async def report_and_check(
    page: Page,
    server: str,
    name: str,
    shots: str = "oma",
    log_link: str = "Ketkä ovat katselleet tietojasi",
) -> None:
    """Report an absence, see it on the front page, read the access log (by the front page's
    link `log_link`); the pages are saved in the gallery as `shots`-absence, -front and
    -access-log."""
    await page.click("text=Ilmoita poissaolo")
    await page.wait_for_url(f"{server}/oma/meals/absence")
    await fits_the_screen(page, f"{shots}-absence")
    day = first_open_day(now(), current()) + dt.timedelta(days=7)
    await page.fill("#f-first_day", fmt_date(day))
    await page.click("main button[type=submit]")
    await page.wait_for_url(f"{server}/oma")
    assert "ateriat peruttiin 1 päivältä" in await page.inner_text(".notice")
    assert "Päivät ilman aterioita" in await page.inner_text("main")
    await fits_the_screen(page, f"{shots}-front")
    await page.click(f"text={log_link}")
    await page.wait_for_url(f"{server}/oma/access-log")
    log = await page.inner_text("main")
    assert name in log
    await fits_the_screen(page, f"{shots}-access-log")


async def test_customer_reports_an_absence_and_reads_the_access_log(
    citizen_server: str, oidc_provider: Provider, phone: Page
) -> None:
    code = new_identity_code()
    customer = await customer_with_code(code, first="Aino", last="Virtanen")
    await active_service(await new_region(), customer=customer)
    await identify_in_browser(phone, citizen_server, person_at_broker(oidc_provider, code))
    await phone.wait_for_url(f"{citizen_server}/oma")
    assert "Tulevat toimitukset" in await phone.inner_text("main")
    await fits_the_screen(phone)
    await report_and_check(phone, citizen_server, "Aino Virtanen (Asiakas)")
    assert code not in phone.url
    await phone.click("main a[href='/oma']")
    await phone.click("text=Lataa tietosi")
    await phone.wait_for_url(f"{citizen_server}/oma/my-data")
    assert "Aino Virtanen" in await phone.inner_text("main")
    await fits_the_screen(phone, "oma-my-data")


async def test_a_person_not_in_the_register_gets_a_polite_page(
    citizen_server: str, oidc_provider: Provider, phone: Page
) -> None:
    code = new_identity_code()
    await identify_in_browser(phone, citizen_server, person_at_broker(oidc_provider, code))
    await phone.wait_for_selector("main h1")
    assert "emme löytäneet sinua asiakkaistamme" in (await phone.inner_text("main")).lower()
    assert code not in await phone.content()
    await fits_the_screen(phone, "oma-refused")


async def test_relative_acts_for_the_customer(
    citizen_server: str, oidc_provider: Provider, phone: Page, browser: Browser
) -> None:
    customer = await customer_with_code(new_identity_code(), first="Aino", last="Virtanen")
    await active_service(await new_region(), customer=customer)
    proxy_code = new_identity_code()

    async with httpx.AsyncClient(base_url=citizen_server, follow_redirects=True) as staff:
        await sign_in(staff, await make_user("client_guidance"))
        await record_right(staff, customer, proxy_code)
    sub = person_at_broker(oidc_provider, proxy_code, name="Liisa Virtanen")
    await identify_in_browser(phone, citizen_server, sub)
    await phone.wait_for_url(f"{citizen_server}/oma/choose")
    await fits_the_screen(phone, "oma-choose")
    await phone.click("text=Aino Virtanen")
    await phone.wait_for_url(f"{citizen_server}/oma")
    assert "asioit henkilön Aino Virtanen puolesta" in await phone.inner_text("main")
    assert await phone.inner_text("main h1") == "Henkilön Aino Virtanen palvelut"
    await report_and_check(phone, citizen_server, "Liisa Virtanen (Asiamies)", "oma-proxy",
                           "Ketkä ovat katselleet henkilön Aino Virtanen tietoja")  # fmt: skip


async def test_customer_books_and_cancels_an_appointment_and_reads_decisions(
    citizen_server: str, oidc_provider: Provider, phone: Page
) -> None:
    await create_setup()
    code = new_identity_code()
    customer = await customer_with_code(code, first="Aino", last="Virtanen")
    await active_service(await new_region(), customer=customer)
    await identify_in_browser(phone, citizen_server, person_at_broker(oidc_provider, code))
    await phone.wait_for_url(f"{citizen_server}/oma")
    await phone.click("main a:has-text('Varaa aika')")
    await phone.wait_for_url(f"{citizen_server}/oma/booking/new*")
    await fits_the_screen(phone, "oma-booking-type")
    await phone.check("input[name=type_id] >> nth=0")
    await phone.click("main button[type=submit]")
    await phone.check("input[name=mode] >> nth=0")
    await fits_the_screen(phone)
    await phone.click("main button[type=submit]")
    await phone.wait_for_url(f"{citizen_server}/oma/booking/times*")
    await fits_the_screen(phone, "oma-booking-times")
    await phone.check("input[name=slot] >> nth=0")
    await phone.click("main button[type=submit]")
    await phone.wait_for_url(f"{citizen_server}/oma/booking/details*")
    await fits_the_screen(phone)
    await phone.click("main button[type=submit]")
    await expect(phone.locator(".notice")).to_contain_text("Aikasi on varattu.", timeout=30_000)
    await fits_the_screen(phone, "oma-booking")
    assert (await Booking.select(Booking.status).first())["status"] == "booked"
    await phone.click("main form button.button--secondary")
    await phone.wait_for_selector("input[name=confirm]", state="attached")
    await fits_the_screen(phone)
    await phone.click("main form button[type=submit]")
    await expect(phone.locator(".notice")).to_contain_text("Aikasi peruttiin.", timeout=30_000)
    await fits_the_screen(phone)
    assert (await Booking.select(Booking.status).first())["status"] == "cancelled"
    await phone.click("main a[href='/oma']")
    await phone.click("text=Päätökset ja ilmoitukset")
    await phone.wait_for_url(f"{citizen_server}/oma/decisions")
    assert "Ateriapalvelu: aloituspäätös" in await phone.inner_text("main")
    await fits_the_screen(phone, "oma-decisions")
