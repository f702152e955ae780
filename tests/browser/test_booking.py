"""Booking in real Chromium: public booking and cancellation at phone and desktop width, JavaScript
on and off, axe-core on every page of the way; axe-core on the staff pages too."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from playwright.async_api import Page

from core.common.clock import HELSINKI
from core.customers.tables import Customer
from core.db import insert_objects, transaction
from core.demo import customer_rows
from plugins.booking import meetings
from plugins.booking.tables import Booking, Closure, NeedsPath, WaitlistEntry
from tests.browser.helpers import assert_accessible, browser_sign_in
from tests.helpers import SYSTEM, make_user
from tests.plugins.booking.setup_data import add_colleague, create_setup, tomorrow_at
from tests.plugins.booking.test_absences import book
from tests.plugins.booking.test_closure_holds import book_meeting
from tests.plugins.booking.test_meeting_staff import username_of
from tests.plugins.booking.test_needs import TWO_STEPS

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
    await page.check("input[name=type_id]")  # nothing is chosen for the citizen
    await page.click("main button[type=submit]")
    await page.wait_for_selector("#mode-office")
    assert await page.locator("#mode-remote").count() == 0  # the type offers no remote meetings
    await check_accessible(page, javascript)
    await page.check("#mode-office")
    await page.click("main button[type=submit]")
    await page.wait_for_selector("input[name=slot]")
    await check_accessible(page, javascript)

    await page.check("input[name=slot] >> nth=0")  # no time is preselected
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

    await page.click("main form button.button--secondary")  # cancel is not the main button
    await page.wait_for_selector("input[name=confirm]", state="attached")
    await check_accessible(page, javascript)
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
    colleague = await add_colleague(setup)
    common = await meetings.common_free_times(
        setup.advice_type_id,
        [setup.professional_id, colleague],
        tomorrow_at(0),
        tomorrow_at(0).date() + dt.timedelta(days=7),
    )
    async with transaction():
        meeting_id = await meetings.book_meeting(
            SYSTEM,
            organiser_id=setup.professional_id,
            colleague_ids=[colleague],
            appointment_type_id=setup.advice_type_id,
            starts_at=common[0].starts_at,
            mode="remote",
            title="Verkostopalaveri",
            customer_id=None,
            moment=tomorrow_at(0) - dt.timedelta(days=1),
        )
        closure = await Closure.insert(
            Closure(
                professional=setup.professional_id,
                starts_at=tomorrow_at(9),
                ends_at=tomorrow_at(10),
            )
        ).returning(Closure.id)
    await browser_sign_in(page, live_server, await make_user("admin"))
    for path in (
        "/booking",
        "/booking?view=day",
        "/booking/openings",
        "/booking/setup",
        f"/booking/setup/types/{setup.advice_type_id}",
        f"/booking/customers/{customer_id}?type_id={setup.advice_type_id}",
        "/book/right?code=WRONG",
        "/booking/waitlist/",
        "/booking/setup/needs/new",
        f"/booking/closures/{closure[0]['id']}/edit?professional_id={setup.professional_id}",
        f"/booking/meetings/{meeting_id}",
        f"/booking/meetings/{meeting_id}/move",
    ):
        response = await page.goto(f"{live_server}{path}")
        assert response is not None and response.status in (200, 400), path
        await assert_accessible(page)


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_professional_handles_a_sick_day(page: Page, live_server: str, width: str) -> None:
    """Close the day, then move one booking to a colleague, offer new times for another and
    cancel a third with a notice, moving only by what the pages show."""
    viewport_width, viewport_height = WIDTHS[width]
    await page.set_viewport_size({"width": viewport_width, "height": viewport_height})
    setup = await create_setup()
    colleague = await add_colleague(setup)
    ids = [await book(setup, tomorrow_at(9, minute)) for minute in (0, 15, 30)]
    await browser_sign_in(page, live_server, setup.username)
    await page.locator("a[href='/booking']:visible").first.click()
    await page.locator("a[href^='/booking/openings']:visible").first.click()
    day = tomorrow_at(9).astimezone(HELSINKI).date()
    await page.fill("#f-closure_date", day.isoformat())
    await page.fill("#f-closure_start", "08:00")
    await page.fill("#f-closure_end", "16:00")
    await page.fill("#f-reason", "Sairauspoissaolo")
    await page.click("button[value=close]")
    await page.wait_for_selector(f"#b-{ids[0]}")
    await assert_accessible(page)

    await page.check(f"#move-{ids[0]}")
    await page.select_option(f"#f-colleague_{ids[0]}", str(colleague))
    await page.click(f"section[aria-labelledby=b-{ids[0]}] button[type=submit]")
    await page.wait_for_selector(".notice, [role=status]")
    await page.check(f"#offer-{ids[1]}")
    await page.select_option(f"#f-reason-{ids[1]}", "illness")
    await page.click(f"section[aria-labelledby=b-{ids[1]}] button[type=submit]")
    await page.wait_for_selector(f"#b-{ids[2]}")
    assert await page.locator(f"#b-{ids[1]}").count() == 0
    await page.check(f"#cancel-{ids[2]}")
    await page.select_option(f"#f-reason-{ids[2]}", "illness")
    await page.click(f"section[aria-labelledby=b-{ids[2]}] button[type=submit]")
    await page.wait_for_selector("input[name=confirm]", state="attached")
    await assert_accessible(page)
    await page.click("main form button[type=submit]")
    await page.wait_for_selector("text=Jokainen asiakas on hoidettu")
    await assert_accessible(page)
    rows = {b["id"]: b for b in await Booking.select().where(Booking.id.is_in(ids))}
    assert rows[ids[0]]["professional"] == colleague and rows[ids[0]]["status"] == "booked"
    assert rows[ids[1]]["status"] == "offered" and rows[ids[2]]["status"] == "cancelled"
    if width == "phone":
        scroll_width = await page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= viewport_width


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_citizen_answers_questions_books_and_joins_the_waitlist(
    page: Page, live_server: str, width: str
) -> None:
    """A needs path leads to a type offered only by phone; the answers go with the booking;
    then, finding no suitable time for another need, the citizen joins the waiting list."""
    viewport_width, viewport_height = WIDTHS[width]
    await page.set_viewport_size({"width": viewport_width, "height": viewport_height})
    setup = await create_setup()
    async with transaction():
        await NeedsPath.insert(NeedsPath(name="Perheasiat", definition=TWO_STEPS, active=True))

    await page.goto(f"{live_server}/book/")
    await page.locator("main a[href^='/book/needs/']").first.click()
    await page.wait_for_selector("#choice-1")
    await assert_accessible(page)
    await page.check("#choice-1")  # "Oma"
    await page.click("main button[type=submit]")
    await page.wait_for_selector("text=Mitä asia koskee?")
    await assert_accessible(page)
    await page.check("#choice-1")  # "Arjen tuki" → ADVICE15 by phone
    await page.click("main button[type=submit]")
    await page.locator("main a.button[href^='/book/?type_id=']").click()
    await page.wait_for_selector("#mode-phone")
    assert await page.locator("#mode-office").count() == 0  # the path allows phone only
    await assert_accessible(page)
    await page.click("main button[type=submit]")
    await page.wait_for_selector("input[name=slot]")
    await page.check("input[name=slot] >> nth=0")
    await page.click("main button[type=submit]")
    await page.wait_for_selector("#f-name")
    await page.fill("#f-name", "Aino Asiakas")
    await page.fill("#f-phone", "040 123 4567")
    await page.click("main button[type=submit]")
    await page.wait_for_selector(".notice[role=status]")
    booking = await Booking.select().first().output(load_json=True)
    assert booking["mode"] == "phone"
    assert [a["answer"] for a in booking["needs_answers"]] == ["Oma", "Arjen tuki"]

    await page.goto(f"{live_server}/book/?type_id={setup.advice_type_id}")
    await page.check("#mode-office")
    await page.click("main button[type=submit]")
    await page.locator("main a[href^='/book/waitlist']").click()
    await page.wait_for_selector("#f-first_day")
    await assert_accessible(page)
    await page.click("main button[type=submit]")  # nothing filled in: messages by the fields
    await page.wait_for_selector("#f-first_day-error")
    await assert_accessible(page)
    first = tomorrow_at(9).astimezone(HELSINKI).date()
    await page.fill("#f-first_day", f"{first.day}.{first.month}.{first.year}")
    await page.fill("#f-last_day", f"{first.day}.{first.month}.{first.year}")
    await page.fill("#f-name", "Odottava Olli")
    await page.fill("#f-phone", "040 765 4321")
    await page.click("main button[type=submit]")
    await page.wait_for_selector(".notice[role=status]")
    await assert_accessible(page)
    entry = await WaitlistEntry.select().first()
    assert entry["mode"] == "office" and entry["first_day"] == first
    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= viewport_width

    # The request's own page (linked from the done page and the message): leave the list.
    await page.locator("main a[href^='/book/waitlist/']").click()
    await page.wait_for_selector("main form[action$='/withdraw']")
    await assert_accessible(page)
    await page.click("main form[action$='/withdraw'] button[type=submit]")
    await page.wait_for_selector("input[name=confirm]", state="attached")
    await assert_accessible(page)
    await page.click("main button[type=submit]")
    await page.wait_for_selector(".notice[role=status]")
    await assert_accessible(page)
    assert (await WaitlistEntry.select().first())["status"] == "withdrawn"


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_a_professional_without_email_reads_a_meeting_invitation_in_valvomo(
    page: Page, live_server: str, width: str
) -> None:
    """No e-mail, no mobile: the invitation waits on the dashboard and the calendar until
    marked read, axe-core clean at phone and desktop width."""
    viewport_width, viewport_height = WIDTHS[width]
    await page.set_viewport_size({"width": viewport_width, "height": viewport_height})
    setup = await create_setup()
    colleague = await add_colleague(setup)
    await book_meeting(setup, colleague)  # the colleague has no e-mail or mobile
    await browser_sign_in(page, live_server, await username_of(colleague))
    notice = page.locator("#meeting-notices")
    assert "Kutsu palaveriin: Verkostopalaveri" in await page.locator("main").inner_text()
    assert await notice.evaluate("e => e.tagName") == "H3"
    await assert_accessible(page)
    await page.locator("a[href='/booking']:visible").first.click()
    await page.wait_for_url(f"{live_server}/booking")
    assert await notice.evaluate("e => e.tagName") == "H2"
    await assert_accessible(page)
    await page.click("button:has-text('Merkitse luetuksi')")
    await page.wait_for_selector("text=Ilmoitus merkittiin luetuksi.")
    assert await notice.count() == 0
    await assert_accessible(page)
    if width == "phone":
        scroll_width = await page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= viewport_width
