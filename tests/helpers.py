"""Helpers for tests: staff users, signing in through the real login form, CSRF tokens."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from typing import Any

import httpx

from core.audit.services import SystemActor
from core.config import PROJECT_ROOT
from core.db import transaction
from core.identity.services import CurrentUser, create_user, user_for_session
from core.web.runtime import Runtime

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)
SYSTEM = SystemActor(full_name="test setup")


async def make_user(*roles: str, username: str | None = None) -> str:
    username = username or f"user{next(_counter)}"
    async with transaction():
        await create_user(
            SYSTEM,
            username=username,
            full_name=f"Test {username}",
            password=PASSWORD,
            role_codes=list(roles),
        )
    return username


def csrf(client: httpx.AsyncClient) -> str:
    return str(client.cookies.get("valvomo_csrf", ""))


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> Any:
    await client.get("/login")
    return await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": csrf(client), "next": "/"},
    )


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, Any]) -> Any:
    if not client.cookies.get("valvomo_csrf"):
        await client.get("/login")
    return await client.post(path, data={**data, "_csrf_token": csrf(client)})


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
