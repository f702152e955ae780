"""Outgoing messages in real Chromium: filter by status, open a failed message, send it again."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from core.db import transaction
from core.notifications.services import queue_message
from core.notifications.tables import FAILED, OutboxMessage
from tests.browser.helpers import assert_accessible, browser_sign_in
from tests.helpers import make_user

pytestmark = pytest.mark.browser


async def failed_message() -> int:
    async with transaction():
        message_id = await queue_message(
            channel="sms", recipient="040 123 4567", body="Muistutus huomisesta", reference="r:1"
        )
        await OutboxMessage.update(
            {
                OutboxMessage.status: FAILED,
                OutboxMessage.attempts: 6,
                OutboxMessage.last_error: "SMS gateway answered 503",
            }
        ).where(OutboxMessage.id == message_id)
    return message_id


async def send_failed_message_again(page: Page, live_server: str, with_axe: bool) -> None:
    message_id = await failed_message()
    await browser_sign_in(page, live_server, await make_user("admin"))
    await page.click(".site-nav--wide .nav-group summary")  # the administration menu
    await page.click(".site-nav--wide a[href='/notifications']")
    await page.select_option("#f-status", "failed")
    await page.click("form.search button[type=submit]")
    await page.wait_for_url(f"{live_server}/notifications?status=failed")
    assert await page.locator("td:has-text('SMS gateway answered 503')").is_visible()
    if with_axe:
        await assert_accessible(page)

    await page.click(f"a[href='/notifications/{message_id}']")
    assert await page.locator(".message-body:has-text('Muistutus huomisesta')").is_visible()
    if with_axe:
        await assert_accessible(page)
    await page.click("main form button[type=submit]")
    await page.wait_for_url(f"{live_server}/notifications/{message_id}")
    assert await page.locator("dd .tag--info").is_visible()
    assert await page.locator(".notice--success[role=status]").is_visible()
    assert await page.locator("main form").count() == 0


async def test_admin_finds_a_failed_message_and_sends_it_again(
    page: Page, live_server: str
) -> None:
    await send_failed_message_again(page, live_server, with_axe=True)


async def test_sending_again_works_without_javascript(
    page_without_js: Page, live_server: str
) -> None:
    await send_failed_message_again(page_without_js, live_server, with_axe=False)
