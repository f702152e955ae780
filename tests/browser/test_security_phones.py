"""Security phones in real Chromium: install a device, record an alarm visit; axe-core on pages."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Page

from core.common.clock import HELSINKI, today
from plugins.security_phones.tables import Alarm, AlarmCentre, AlarmVisit, Device, Installation
from tests.browser.helpers import assert_accessible, browser_sign_in
from tests.helpers import make_user
from tests.plugins.security_phones.factories import new_customer


async def test_coordinator_installs_a_device(page: Page, live_server: str) -> None:
    customer = await new_customer(last_name="Laine")
    await browser_sign_in(page, live_server, await make_user("security_phone_coordinator"))

    await page.goto(f"{live_server}/security-phones/devices")
    await page.fill("#f-serial_number", "ESS-1001")
    await page.fill("#f-model", "Essence Care@Home")
    await page.select_option("#f-kind", "base_unit")
    await page.click("form[method=post][action='/security-phones/devices'] button")
    await page.wait_for_selector("h1:has-text('ESS-1001')")
    await assert_accessible(page)

    service_url = f"{live_server}/security-phones/customers/{customer}"
    await page.goto(service_url)
    await assert_accessible(page)
    start = today().isoformat()
    await page.fill("#f-decision_date", start)
    await page.fill("#f-decision_maker", "Sosiaaliohjaaja Laine")
    await page.fill("#f-basis", "Kaatumisriski, asuu yksin.")
    await page.fill("#f-start_date", start)
    await page.click(f"form[action='/security-phones/customers/{customer}/service'] button")
    await page.wait_for_selector("#f-serial_number")

    await page.fill("#f-serial_number", "NO-SUCH")
    await page.click(f"form[action='/security-phones/customers/{customer}/devices'] button")
    assert await page.locator("#f-serial_number-error").is_visible()
    await assert_accessible(page)

    await page.fill("#f-serial_number", "ess-1001")
    await page.click(f"form[action='/security-phones/customers/{customer}/devices'] button")
    await page.wait_for_selector("td:has-text('ESS-1001')")
    await assert_accessible(page)
    device = await Device.select().where(Device.serial_number == "ESS-1001").first()
    assert device["status"] == "installed" and device["customer"] == customer
    assert await Installation.count() == 1


async def test_home_care_records_an_alarm_visit(page: Page, live_server: str) -> None:
    customer = await new_customer(last_name="Mäki")
    centre = await AlarmCentre.insert(
        AlarmCentre(name="Keskus", token_hash="z" * 64, created_at=dt.datetime.now(dt.UTC))
    ).returning(AlarmCentre.id)
    occurred = dt.datetime(2026, 11, 2, 14, 0, tzinfo=HELSINKI)
    alarm = await Alarm.insert(
        Alarm(centre=centre[0]["id"], centre_alarm_id="K1", occurred_at=occurred,
              customer=customer, kind="fall", visit_needed=True)
    ).returning(Alarm.id)  # fmt: skip
    alarm_id = alarm[0]["id"]
    await browser_sign_in(page, live_server, await make_user("home_care"))

    await page.goto(f"{live_server}/security-phones/alarms?waiting=true")
    await assert_accessible(page)
    await page.click(f"a[href='/security-phones/alarms/{alarm_id}']")
    await page.wait_for_selector("#f-dispatched_at")
    await page.fill("#f-dispatched_at", "2026-11-02T14:05")
    await page.fill("#f-arrived_at", "2026-11-02T13:50")
    await page.click("form[action$='/visit'] button")
    assert await page.locator("#f-arrived_at-error").is_visible()
    await assert_accessible(page)

    await page.fill("#f-arrived_at", "2026-11-02T14:25")
    await page.fill("#f-done_at", "2026-11-02T14:50")
    await page.fill("#f-notes", "Asiakas autettu ylös.")
    await page.click("form[action$='/visit'] button")
    await page.wait_for_selector("input[name=version]", state="attached")
    await assert_accessible(page)
    visit = await AlarmVisit.select().where(AlarmVisit.alarm == alarm_id).first()
    assert visit["arrived_at"] == dt.datetime(2026, 11, 2, 14, 25, tzinfo=HELSINKI)


async def test_report_centre_and_import_pages_are_accessible(page: Page, live_server: str) -> None:
    await browser_sign_in(page, live_server, await make_user("security_phone_coordinator"))
    for path in ("/security-phones/reports", "/security-phones/import", "/security-phones/centres"):
        await page.goto(f"{live_server}{path}")
        await assert_accessible(page)
    await page.fill("#f-name", "Hätäkeskus-palvelu")
    await page.click("form[action='/security-phones/centres'] button")
    await page.wait_for_selector("[role=status] code")
    await assert_accessible(page)
