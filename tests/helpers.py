"""Helpers for tests: staff users, signing in through the real login form, CSRF tokens."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
from typing import Any

import httpx

from core.config import PROJECT_ROOT
from core.identity.services import CurrentUser, user_for_session
from core.web.confirm import CONFIRM_FIELD
from core.web.runtime import Runtime
from valvomo.testing import (  # noqa: F401  (the project's tests import them from here too)
    PASSWORD,
    SYSTEM,
    csrf,
    make_customer,
    make_user,
    post_form,
    sign_in,
)


def api_headers(client: httpx.AsyncClient) -> dict[str, str]:
    return {"x-csrftoken": csrf(client)}


async def current_user(client: httpx.AsyncClient) -> CurrentUser:
    user = await user_for_session(str(client.cookies.get("valvomo_session")))
    assert user is not None
    return user


def run_cli(
    runtime: Runtime, *args: str, config: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`valvomo ARGS` in its own process against the test database.

    `config` replaces valvomo.toml, e.g. to enable only the plugin under test.
    """
    env = {
        **os.environ,
        "VALVOMO_DATABASE_URL": runtime.database.url,
        "VALVOMO_VAR_DIR": str(runtime.settings.var_dir),
        "VALVOMO_SECRET": runtime.settings.secret,
    }
    if config is not None:
        path = runtime.settings.var_dir / "cli-valvomo.toml"
        path.write_text(config, encoding="utf-8")
        env["VALVOMO_CONFIG"] = str(path)
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


_NOTICE = re.compile(r'<div class="notice notice--(\w+)" role="status"><p>(.*?)</p>.*?</div>', re.S)


def notices(html: str) -> list[tuple[str, str]]:
    """The (kind, text) notices a page shows at its top, e.g. ("success", "Tallennettu.")."""
    return [(kind, unescape(text).strip()) for kind, text in _NOTICE.findall(html)]


async def post_confirmed(client: httpx.AsyncClient, path: str, data: dict[str, Any]) -> Any:
    """Post a destructive form the way its confirmation page re-posts it (confirm=yes)."""
    return await post_form(client, path, {**data, CONFIRM_FIELD: "yes"})


async def assert_asks_first(client: httpx.AsyncClient, path: str, data: dict[str, Any]) -> Any:
    """A destructive POST without the confirmation field answers with the confirmation page."""
    response = await post_form(client, path, data)
    assert response.status_code == 200, response.text
    assert f'name="{CONFIRM_FIELD}" value="yes"' in response.text, response.text
    return response


# -- No code on screen ------------------------------------------------------------------------

SNAKE_CODE = re.compile(r"(?<![\w@./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-])")
DOTTED_CODE = re.compile(r"(?<![\w@./-])[a-z][a-z_]*(?:\.[a-z_]+)+(?![\w@/-])")
ISO_DATE = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")
# Words that show an untranslated English message or a Python value on a Finnish page
# ("to" is not among them: it is Finnish for Thursday in a week calendar).
ENGLISH_WORDS = (
    "the", "and", "of", "is", "was", "were", "with", "your", "please", "cancel", "active",
    "paused", "ended", "Save", "Remove", "Delete", "Submit", "Cancel", "Back", "Next",
    "Previous", "Dashboard", "Customer", "Customers", "Status", "Edit", "Sign", "None", "True",
    "False", "null", "undefined", "Lunch", "Monday", "Friday", "Demo",
)  # fmt: skip
ENGLISH = re.compile(r"(?<![\w'-])(?:" + "|".join(ENGLISH_WORDS) + r")(?![\w'-])")
# Format hints and common domain names are not codes.
ALLOWED_DOTTED = {"p.k.vvvv", "d.m.yyyy", "esim.", "ts.", "mm."}
# Hidden parts, and data people typed themselves that is marked translate="no" (usernames).
_HIDDEN = re.compile(
    r"<(script|style|code|pre|template)\b.*?</\1>|<!--.*?-->|<head\b.*?</head>"
    r"|<(\w+)[^>]*\btranslate=\"no\"[^>]*>.*?</\2>",
    re.S | re.I,
)
_VISIBLE_ATTRIBUTES = re.compile(r'\b(?:alt|title|aria-label|placeholder)="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")


def visible_text(html: str) -> str:
    """The text a person reads or hears: text nodes and labelling attributes, no markup."""
    body = _HIDDEN.sub(" ", html)
    labels = " ".join(_VISIBLE_ATTRIBUTES.findall(body))
    return unescape(_TAG.sub(" ", body) + " " + labels)


def codes_on_screen(html: str, finnish: bool = True) -> list[str]:
    """Codes, ISO dates and (on Finnish pages) English words a page shows; [] when clean."""
    text = visible_text(html)
    found = [m for m in SNAKE_CODE.findall(text)]
    found += [m for m in DOTTED_CODE.findall(text) if m not in ALLOWED_DOTTED]
    found += ISO_DATE.findall(text)
    if finnish:
        found += [f"English: {m}" for m in ENGLISH.findall(text)]
    return sorted(set(found))


def assert_no_code_on_screen(html: str, where: str = "") -> None:
    """Fail if the page shows a snake_case or dotted code, an ISO date or English words."""
    finnish = '<html lang="fi">' in html
    found = codes_on_screen(html, finnish)
    assert not found, f"Codes or English on screen at {where}: {found}"
