"""The second factor in real Chromium: set up from the header link with a code from an
authenticator app (pyotp here), sign-in with a code and with a recovery code, new recovery codes
after a confirmation, and the set-up a role requires; axe-core on every page."""

from __future__ import annotations

import pyotp
from playwright.async_api import Page

from core.identity.tables import RecoveryCode, StaffRole, StaffUser
from tests.browser.helpers import assert_accessible, browser_sign_in
from tests.helpers import PASSWORD, make_user

SET_UP = "/account/second-factor"


async def sign_in_with_code(page: Page, live_server: str, username: str, code: str) -> None:
    await page.goto(f"{live_server}/login")
    await page.fill("#f-username", username)
    await page.fill("#f-password", PASSWORD)
    await page.fill("#f-code", code)
    await page.click("main button[type=submit]")


async def sign_out(page: Page, live_server: str) -> None:
    await page.click("header form.logout button[type=submit]")
    await page.wait_for_url(f"{live_server}/login")


async def shown_recovery_codes(page: Page) -> list[str]:
    codes = await page.locator("ul.recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    return codes


async def turn_on_from_the_header(page: Page, live_server: str) -> tuple[str, list[str]]:
    """Follow the header link, refuse a wrong code, confirm a right one; the secret and the
    recovery codes the page shows once."""
    await page.click("header a.account-link")
    await page.wait_for_url(f"{live_server}{SET_UP}")
    await assert_accessible(page)
    secret = await page.locator("main input[name=secret]").input_value()
    assert len(secret) == 32
    assert secret in await page.locator("main ol code.secret").first.inner_text()

    await page.fill("#f-code", "000000")
    await page.click("main button[type=submit]")
    error = page.locator("#f-code-error")
    await error.wait_for()
    assert "Koodi ei ole oikein" in await error.inner_text()
    await assert_accessible(page)

    await page.fill("#f-code", pyotp.TOTP(secret).now())
    await page.click("main button[type=submit]")
    await page.wait_for_selector("h2:has-text('Varakoodit')")
    notice = await page.locator(".notice[role=status]").inner_text()
    assert "Toinen tunnistautumistapa on käytössä" in notice
    await assert_accessible(page)
    return secret, await shown_recovery_codes(page)


async def test_second_factor_set_up_and_sign_ins(page: Page, live_server: str) -> None:
    username = await make_user("home_care")
    await browser_sign_in(page, live_server, username)
    secret, codes = await turn_on_from_the_header(page, live_server)
    user = await StaffUser.select(StaffUser.totp_secret).where(StaffUser.username == username)
    assert user[0]["totp_secret"] == secret
    await sign_out(page, live_server)

    # The password alone is no longer enough; the refusal is on the login page, accessibly.
    await sign_in_with_code(page, live_server, username, "")
    await page.locator("#login-error").wait_for()
    assert "kuusinumeroinen koodi" in await page.locator("#login-error").inner_text()
    await assert_accessible(page)

    await sign_in_with_code(page, live_server, username, pyotp.TOTP(secret).now())
    await page.wait_for_url(f"{live_server}/")
    await sign_out(page, live_server)

    # A lost phone: a recovery code signs in once.
    await sign_in_with_code(page, live_server, username, codes[0])
    await page.wait_for_url(f"{live_server}/")
    await page.click("header a.account-link")
    await page.wait_for_url(f"{live_server}{SET_UP}")
    assert "Käyttämättömiä varakoodeja: 9." in await page.locator("main").inner_text()
    await assert_accessible(page)
    await sign_out(page, live_server)
    await sign_in_with_code(page, live_server, username, codes[0])
    await page.locator("#login-error").wait_for()
    assert page.url.startswith(f"{live_server}/login")

    # New recovery codes are made only after a confirmation; the old ones stop working.
    await sign_in_with_code(page, live_server, username, codes[1])
    await page.wait_for_url(f"{live_server}/")
    await page.goto(f"{live_server}{SET_UP}")
    await page.click("main form button[type=submit]")
    await page.wait_for_selector("main .confirmation")
    await assert_accessible(page)
    assert await RecoveryCode.count().where(RecoveryCode.used_at.is_null()) == 8
    await page.click("main form button[type=submit]")
    await page.wait_for_selector("h2:has-text('Varakoodit')")
    assert "Uudet varakoodit tehtiin" in await page.locator(".notice[role=status]").inner_text()
    new_codes = await shown_recovery_codes(page)
    assert not set(new_codes) & set(codes)
    await assert_accessible(page)
    await sign_out(page, live_server)
    await sign_in_with_code(page, live_server, username, codes[2])
    await page.locator("#login-error").wait_for()
    await sign_in_with_code(page, live_server, username, new_codes[0])
    await page.wait_for_url(f"{live_server}/")


async def test_a_role_that_requires_it_leads_to_the_set_up(page: Page, live_server: str) -> None:
    await StaffRole.update({StaffRole.requires_second_factor: True}).where(
        StaffRole.code == "biller"
    )
    username = await make_user("biller")
    await page.goto(f"{live_server}/login")
    await page.fill("#f-username", username)
    await page.fill("#f-password", PASSWORD)
    await page.click("main button[type=submit]")
    await page.wait_for_url(f"{live_server}{SET_UP}")
    assert "Roolisi edellyttävät" in await page.locator("main").inner_text()
    await assert_accessible(page)
    await page.goto(f"{live_server}/")
    assert page.url == f"{live_server}{SET_UP}"
    secret = await page.locator("main input[name=secret]").input_value()
    await page.fill("#f-code", pyotp.TOTP(secret).now())
    await page.click("main button[type=submit]")
    await page.wait_for_selector("h2:has-text('Varakoodit')")
    await page.click("main a[href='/']")
    await page.wait_for_url(f"{live_server}/")
