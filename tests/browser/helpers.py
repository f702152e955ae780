"""Steps shared by browser tests."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

from tests.helpers import PASSWORD

SERIOUS = {"serious", "critical"}


async def browser_sign_in(
    page: Page, live_server: str, username: str, password: str = PASSWORD
) -> None:
    await page.goto(f"{live_server}/login")
    await page.fill("#f-username", username)
    await page.fill("#f-password", password)
    await page.click("main button[type=submit]")
    await page.wait_for_url(f"{live_server}/")


async def assert_accessible(page: Page) -> None:
    """Fail on any serious or critical axe-core violation on the current page."""
    results = await Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in serious
    )
    assert not serious, f"Accessibility violations on {page.url}:\n{report}"
