"""Every role, following every link its dashboard shows and the links of the pages they lead
to (two levels), never meets a 403 or a 500: a link the app shows is a link the user may use."""

from __future__ import annotations

import datetime as dt
import html
import re

import httpx
import pytest

from core.common.clock import today
from core.db import transaction
from core.web.runtime import Runtime
from plugins.meals import change_reports, services
from plugins.meals.scope import bind_user
from plugins.meals.settings import current
from tests.helpers import SYSTEM, make_user, sign_in
from tests.plugins.meals.conftest import (
    OPENING_DECISION,
    active_service,
    new_customer,
    new_region,
    version_of,
)

LINK = re.compile(r'href="(/[^"#]*)"')
SKIP = ("/static/", "/logout", "/api/schema")
MAX_PAGES_PER_ROLE = 120


async def meal_service_day() -> int:
    """Services in every state, a reported change, and waiting work in the inboxes."""
    region = await new_region()
    running = await active_service(region)
    paused = await active_service(region)
    ending = await active_service(region)
    async with transaction():
        await services.open_service(
            SYSTEM,
            await new_customer("Odottaja"),
            {"start_date": today().isoformat(), "diet": "normal", "requested_meals": "lunch",
             **OPENING_DECISION},
            current(),
        )  # fmt: skip
        await services.pause_service(
            SYSTEM,
            paused,
            await version_of(paused),
            {"start_date": today().isoformat(), "reason": "hospital"},
        )
        await services.request_ending(
            SYSTEM,
            ending,
            await version_of(ending),
            {"end_date": (today() + dt.timedelta(days=10)).isoformat(), "ending_reason": "moved"},
        )
        await change_reports.report_change(
            SYSTEM, running, {"kind": "other", "channel": "phone", "details": "new door code"}
        )
    return region.kitchen


def links_of(page: str) -> list[str]:
    found = (html.unescape(href) for href in LINK.findall(page))
    return [href for href in found if not href.startswith(SKIP)]


@pytest.mark.parametrize(
    "roles",
    [("admin",), ("client_guidance",), ("home_care",), ("biller",), ("meal_coordinator",),
     ("kitchen",)],
    ids=lambda roles: "+".join(roles),
)  # fmt: skip
async def test_every_link_on_a_roles_dashboard_opens(
    client: httpx.AsyncClient, runtime: Runtime, roles: tuple[str, ...]
) -> None:
    kitchen = await meal_service_day()
    username = await make_user(*roles)
    if "kitchen" in roles:
        async with transaction():
            await bind_user(SYSTEM, kitchen, username)
    await sign_in(client, username)
    dashboard = await client.get("/")
    assert dashboard.status_code == 200
    seen: set[str] = {"/"}
    level = links_of(dashboard.text)
    assert level, "the dashboard shows no links"
    failures = []
    for _depth in range(2):
        following: list[str] = []
        for href in dict.fromkeys(level):
            if href in seen or len(seen) >= MAX_PAGES_PER_ROLE:
                continue
            seen.add(href)
            response = await client.get(href)
            if response.status_code in (403, 500):
                failures.append(f"{href}: {response.status_code}")
            elif "text/html" in response.headers.get("content-type", ""):
                following.extend(links_of(response.text))
        level = following
    assert not failures, f"{roles}: {failures}"
