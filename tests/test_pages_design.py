"""The design system over every page people reach: no code on screen, notices, confirmations.

The walk signs in as each demo role, starts from the dashboard and follows only the links the
pages show (as the journey tests do), checking each page it reaches; citizens start from the
booking site. Pages are found, not listed, so a new page is checked without touching this file.
"""

from __future__ import annotations

import re
from collections import Counter
from html import unescape

import httpx
import pytest
from litestar import Litestar

from core.config import PROJECT_ROOT
from core.demo import DEMO_PASSWORD, demo_logins, load_demo
from core.web.runtime import Runtime
from tests.helpers import codes_on_screen, sign_in

LINK = re.compile(r'<a\b[^>]*\bhref="([^"#]*)')
SKIPPED = re.compile(r"^/(static|api|logout)\b|format=|\.(csv|xlsx|ics)$|/(csv|xlsx)$")
PAGES_PER_ROLE = 60
PAGES_PER_SHAPE = 1


def _shape(path: str) -> str:
    """/customers/17/contacts/3 and /customers/18/contacts/4 are pages of one shape."""
    return re.sub(r"\d+", "N", path.split("?")[0])


async def walk(client: httpx.AsyncClient, start: str, limit: int) -> dict[str, list[str]]:
    """Follow the links from `start`; the codes found on each page reached (path → codes)."""
    queue, seen, found = [start], {start}, {}
    shapes: Counter[str] = Counter()
    while queue and len(found) < limit:
        path = queue.pop(0)
        response = await client.get(path)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        assert response.status_code < 500, f"{path}: {response.status_code}"
        found[path] = codes_on_screen(response.text, '<html lang="fi">' in response.text)
        for href in LINK.findall(response.text):
            href = unescape(href)
            if not href.startswith("/") or SKIPPED.search(href) or href in seen:
                continue
            seen.add(href)
            if shapes[_shape(href)] < PAGES_PER_SHAPE:
                shapes[_shape(href)] += 1
                queue.append(href)
    return found


@pytest.fixture
async def demo(runtime: Runtime) -> None:
    await load_demo(runtime, customers=40)


async def test_no_code_iso_date_or_english_on_any_staff_page(
    demo: None, runtime: Runtime, app: Litestar
) -> None:
    problems: dict[str, list[str]] = {}
    reached: set[str] = set()
    for username, _role in demo_logins(runtime):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver.local", follow_redirects=True
        ) as client:
            await sign_in(client, username, DEMO_PASSWORD)
            pages = await walk(client, "/", PAGES_PER_ROLE)
        reached.update(_shape(p) for p in pages)
        problems.update({f"{username} {p}": codes for p, codes in pages.items() if codes})
    for page in ("/customers/N", "/meals/services/N", "/security-phones/customers/N", "/booking"):
        assert any(shape.startswith(page) for shape in reached), (page, " ".join(sorted(reached)))
    assert not problems, "\n".join(f"{page}: {codes}" for page, codes in problems.items())


async def test_no_code_on_citizen_pages(demo: None, client: httpx.AsyncClient) -> None:
    pages = await walk(client, "/book/", 20)
    assert len(pages) >= 2
    problems = {page: codes for page, codes in pages.items() if codes}
    assert not problems, problems


@pytest.mark.nodb
def test_screenshot_gallery_stays_small_and_complete() -> None:
    """docs/screenshots.md shows every image and only those, and the gallery stays under 5 MB."""
    folder = PROJECT_ROOT / "docs" / "screenshots"
    images = {p.name for p in folder.glob("*.png")}
    shown = set(
        re.findall(r"screenshots/([\w-]+\.png)", (folder.parent / "screenshots.md").read_text())
    )
    assert shown and shown == images, (sorted(shown - images), sorted(images - shown))
    assert sum((folder / name).stat().st_size for name in images) < 5 * 1024 * 1024
