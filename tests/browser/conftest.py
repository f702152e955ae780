"""Browser tests: a real app process, real Chromium (Debian's) driven by Playwright, axe-core."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from core.web.runtime import Runtime
from tests.conftest import serve_in_process

CHROMIUM = os.environ.get("VALVOMO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"Chromium is required for browser tests: {CHROMIUM} not found "
            "(apt-get install chromium)"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture(scope="session")
def high_contrast_server(
    runtime: Runtime, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The same app and database served in the high-contrast theme."""
    yield from serve_in_process(runtime, tmp_path_factory.mktemp("live-hc"), "high_contrast")


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(locale="fi-FI", timezone_id="Europe/Helsinki")
    yield await context.new_page()
    await context.close()


@pytest.fixture
async def page_without_js(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(
        java_script_enabled=False, locale="fi-FI", timezone_id="Europe/Helsinki"
    )
    yield await context.new_page()
    await context.close()
