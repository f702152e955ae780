"""Steps shared by browser tests."""

from __future__ import annotations

import io
import os

from PIL import Image
from playwright.async_api import Page

from core.config import PROJECT_ROOT
from tests.helpers import PASSWORD
from valvomo import testing


async def browser_sign_in(
    page: Page, live_server: str, username: str, password: str = PASSWORD
) -> None:
    await page.goto(f"{live_server}/login")
    await page.fill("#f-username", username)
    await page.fill("#f-password", password)
    await page.click("main button[type=submit]")
    await page.wait_for_url(f"{live_server}/")


DESKTOP = (1366, 900)
# With VALVOMO_SCREENSHOTS=1, the design walk and the citizen journey save the gallery that
# docs/screenshots.md shows.
GALLERY = PROJECT_ROOT / "docs" / "screenshots"
SAVE_SCREENSHOTS = os.environ.get("VALVOMO_SCREENSHOTS") == "1"
SHOT_MAX_HEIGHT = 3000  # px; the rest of a long list adds bytes, not understanding
# Pages are text on a few flat colours: a 64-colour PNG keeps the text sharp at about half the
# bytes of a JPEG whose artefacts blur it.
SHOT_COLOURS = 64
GALLERY_MAX_BYTES = 5_000_000
PHONE = (360, 740)


async def axe_clean(page: Page) -> None:
    """No serious or critical axe-core violation on the current page."""
    await testing.assert_accessible(page)


async def assert_accessible(page: Page) -> None:
    """The check of every page a journey reaches: axe-core clean, and no sideways scrolling at
    1366 px nor on a 360 px phone (the viewport is put back as it was)."""
    await axe_clean(page)
    viewport = page.viewport_size or {"width": DESKTOP[0], "height": DESKTOP[1]}
    for width, height in (DESKTOP, PHONE):
        await page.set_viewport_size({"width": width, "height": height})
        await assert_fits(page, width)
    await page.set_viewport_size(viewport)


async def assert_fits(page: Page, width: int) -> None:
    """The page itself never scrolls sideways; wide tables scroll inside their own box."""
    overflow = await page.evaluate(
        """() => {
          const root = document.documentElement;
          const wide = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1
                      && !e.closest('table'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className);
          const spilling = [...document.querySelectorAll('.panel')]
            .filter(p => p.scrollWidth > p.clientWidth + 1)
            .map(p => (p.querySelector('h2') || p).textContent.trim().slice(0, 40));
          return {scroll: root.scrollWidth, client: root.clientWidth, wide, spilling};
        }"""
    )
    assert overflow["scroll"] <= overflow["client"], f"{page.url} at {width} px: {overflow}"
    assert not overflow["spilling"], f"{page.url} at {width} px: panels overflow: {overflow}"


async def save_screenshot(page: Page, shot: str, width: int) -> None:
    """The page from its top, at most SHOT_MAX_HEIGHT px long, as a palette PNG, so the gallery
    stays small."""
    GALLERY.mkdir(parents=True, exist_ok=True)
    height = min(await page.evaluate("document.documentElement.scrollHeight"), SHOT_MAX_HEIGHT)
    clip = {"x": 0, "y": 0, "width": width, "height": height}
    shot_png = await page.screenshot(full_page=True, clip=clip, type="png")
    image = Image.open(io.BytesIO(shot_png)).convert("RGB")
    palette = image.quantize(SHOT_COLOURS, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(GALLERY / f"{shot}.png", optimize=True)
    total = sum(f.stat().st_size for f in GALLERY.glob("*.png"))
    assert total < GALLERY_MAX_BYTES, f"the gallery is {total} bytes; keep it under 5 MB"
