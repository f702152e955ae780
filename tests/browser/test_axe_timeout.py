"""The shipped accessibility check fails with a message instead of hanging."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from valvomo.testing import assert_accessible


async def test_an_accessibility_check_that_cannot_finish_fails_with_a_message(
    browser: Browser,
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await page.set_content("<html lang='fi'><title>Jumissa</title><main>Hei</main></html>")
    await page.evaluate("setTimeout(() => { while (true) {} }, 50)")  # the page never idles
    try:
        with pytest.raises(AssertionError, match=r"took over 3 s: does the page keep loading"):
            await assert_accessible(page, timeout=3)
    finally:
        await context.close()
